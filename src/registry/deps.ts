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
