/**
 * Where each asset's bytes live, and releasing them once no asset refers to them; likewise
 * the pages of contact sheets.
 *
 * Blobs are content-addressed and shared: the same photo in two manifests is one file. So
 * deleting an asset deletes its blob only when no other row still points at it.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { type BlobStore, contentKey } from "../storage/blob_store.ts";

/** Sizes a thumbnail can be asked for (a bounded set keeps the cache bounded). */
export const THUMBNAIL_SIZES = [64, 128, 256, 512, 1024] as const;

/** The key of a cached thumbnail of an image. */
export function thumbnailBlobKey(imageKey: string, size: number): string {
  return `thumbs/${imageKey.slice(0, 2)}/${imageKey.slice(2)}-${size}.jpg`;
}

/** Deletes the blobs (and cached thumbnails) of `imageKeys` that no asset references. */
export async function releaseImages(
  db: Db,
  blobs: BlobStore,
  imageKeys: Iterable<string | null>,
): Promise<void> {
  const keys = [...new Set([...imageKeys].filter((k): k is string => !!k))];
  if (keys.length === 0) return;
  const stillUsed = new Set(
    (await db.selectFrom("assets").select("image_key").where("image_key", "in", keys).execute())
      .map((row) => row.image_key),
  );
  for (const key of keys) {
    if (stillUsed.has(key)) continue;
    await blobs.delete(contentKey(key));
    for (const size of THUMBNAIL_SIZES) await blobs.delete(thumbnailBlobKey(key, size));
  }
}

/** Deletes the contact sheet page blobs among `keys` that no page row refers to. */
export async function releaseContactSheetBlobs(
  db: Db,
  blobs: BlobStore,
  keys: Iterable<string>,
): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return;
  const used = new Set(
    (await db.selectFrom("contact_sheets").select("blob_key").where("blob_key", "in", unique)
      .execute()).map((row) => row.blob_key),
  );
  for (const key of unique) if (!used.has(key)) await blobs.delete(key);
}
