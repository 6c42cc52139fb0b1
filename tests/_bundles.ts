/**
 * Helpers for the bundle tests: read and write ZIPs with the library the service uses, post
 * a bundle, and take stock of what the service stored.
 *
 * @module
 */
import { join } from "node:path";
import { Uint8ArrayWriter } from "@zip.js/zip.js";
import { Uint8ArrayReader, ZipReader, ZipWriter } from "../src/bundles/zip_library.ts";
import { type JsonReply, type TestServer, walk } from "./_harness.ts";

/** Every file entry of a ZIP, in archive order. */
export async function unzip(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const reader = new ZipReader(new Uint8ArrayReader(bytes));
  const files = new Map<string, Uint8Array>();
  for (const entry of await reader.getEntries()) {
    if (!entry.directory) files.set(entry.filename, await entry.getData(new Uint8ArrayWriter()));
  }
  await reader.close();
  return files;
}

/** An entry to zip, stored unless `level` says otherwise. */
export type ZipEntry = readonly [
  name: string,
  bytes: Uint8Array | string,
  options?: { level?: number; password?: string },
];

/** A ZIP of `entries`, in order. */
export async function zip(entries: Iterable<ZipEntry>): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { level: 0 });
  for (const [name, bytes, options] of entries) {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    await writer.add(name, new Uint8ArrayReader(data), options);
  }
  return await writer.close();
}

/** Posts `bytes` as the `file` of `POST /api/manifests/import`. */
export async function importBundle(
  server: TestServer,
  bytes: Uint8Array,
  filename = "bundle.zip",
): Promise<JsonReply> {
  const form = new FormData();
  form.append(
    "file",
    new File([bytes as Uint8Array<ArrayBuffer>], filename, { type: "application/zip" }),
  );
  const response = await server.fetch("/api/manifests/import", { method: "POST", body: form });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

/** The bytes of `GET /api/manifests/{id}/export`, checked to be a ZIP download. */
export async function exportBundle(server: TestServer, manifestId: string): Promise<Uint8Array> {
  const response = await server.fetch(`/api/manifests/${manifestId}/export`);
  if (response.status !== 200) {
    throw new Error(`export answered ${response.status}: ${await response.text()}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** What the service has stored: rows of the tables an import writes, and every file. */
export interface Stock {
  readonly rows: Record<string, number>;
  readonly files: string[];
}

const TABLES = ["manifests", "assets", "identities", "tag_counters"];

/** Counts the rows an import writes and lists the blob store (images, thumbnails, sheets). */
export async function stock(server: TestServer): Promise<Stock> {
  const rows = Object.fromEntries(TABLES.map((table) => [table, server.countRows(table)]));
  const files = await server.listBlobs();
  await walk(join(server.dataDir, "sheets"), files);
  return { rows, files: files.sort() };
}
