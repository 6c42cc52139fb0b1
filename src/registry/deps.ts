/**
 * What the registry's operations need from the rest of the service.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { ImageService } from "../engine/image_service.ts";
import type { BlobStore } from "../storage/blob_store.ts";

/** Dependencies of the registry's operations, passed explicitly (no globals). */
export interface RegistryDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly images: ImageService;
}

/** The current time as the ISO-8601 UTC string stored in every timestamp column. */
export function now(): string {
  return new Date().toISOString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` has the shape of the ids the service hands out. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
