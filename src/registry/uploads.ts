/**
 * Storing uploaded images: one file onto an existing asset, or a batch that creates one
 * asset per file.
 *
 * Order matters for "bad input leaves nothing behind": every file is decoded and checked
 * (in workers) before any byte is written; blobs are written before the rows that point at
 * them; if the rows cannot be written, the blobs are released again.
 *
 * @module
 */
import { AppError, conflict, invalid } from "../errors.ts";
import type { AssetRow } from "../db/tables.ts";
import type { Db } from "../db/database.ts";
import { contentKey } from "../storage/blob_store.ts";
import { sha256Hex } from "../storage/sha256.ts";
import { DEFAULT_THUMBNAIL_SIZE } from "../engine/image_service.ts";
import { releaseImages, thumbnailBlobKey } from "./blob_refs.ts";
import { type RegistryDeps } from "./deps.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest, touchManifest } from "./manifests.ts";
import { getAsset, nextSortOrder, withDescendants } from "./assets.ts";
import { allocateTags } from "./tag_allocator.ts";
import type { AssetType } from "../db/vocabulary.ts";

/** A file as received from the client. */
export interface IncomingFile {
  readonly filename: string;
  readonly bytes: Uint8Array;
}

/** A checked image, ready to be stored. */
export interface PreparedImage {
  readonly filename: string;
  readonly uploadSha256: string;
  readonly imageKey: string;
  readonly stored: Uint8Array;
  readonly thumbnail: Uint8Array;
  readonly mime: string;
  readonly width: number;
  readonly height: number;
}

/** Per-file options of a batch upload; either one value for all files or one per file. */
export interface BatchOptions {
  readonly assetTypes?: readonly AssetType[];
  readonly names?: readonly string[];
}

/** Creates one asset per file, all or nothing. Uploads default to CHARACTER. */
export async function uploadBatch(
  deps: RegistryDeps,
  manifestId: string,
  files: readonly IncomingFile[],
  options: BatchOptions = {},
): Promise<AssetRow[]> {
  // Fail fast on an unknown or busy manifest before decoding anything.
  await assertNotProcessing(deps.db, await getManifest(deps.db, manifestId));
  const types = perFile(options.assetTypes, files.length, "asset_type") ?? [];
  const names = perFile(options.names, files.length, "name") ?? [];
  const prepared = await prepareAll(deps, files);
  refuseRepeatsWithinBatch(prepared);
  await storeBlobs(deps, prepared);
  try {
    const rows = await deps.db.transaction().execute(async (trx) => {
      await assertNotProcessing(trx, await getManifest(trx, manifestId));
      await refuseExisting(trx, manifestId, prepared);
      let sortOrder = await nextSortOrder(trx, manifestId);
      const inserted: AssetRow[] = [];
      for (const [i, image] of prepared.entries()) {
        const type = types[i] ?? "CHARACTER";
        const [tag] = await allocateTags(trx, manifestId, type);
        const at = now();
        inserted.push(
          await trx.insertInto("assets").values({
            id: crypto.randomUUID(),
            manifest_id: manifestId,
            asset_type: type,
            name: names[i]?.trim() || defaultName(image.filename, i),
            manifest_tag: tag,
            sort_order: sortOrder++,
            ...imageColumns(image),
            created_at: at,
            updated_at: at,
          }).returningAll().executeTakeFirstOrThrow(),
        );
      }
      await touchManifest(trx, manifestId);
      return inserted;
    });
    await restoreBlobsIfReleased(deps, prepared);
    return rows;
  } catch (error) {
    await releaseImages(deps.db, deps.blobs, prepared.map((p) => p.imageKey));
    throw translateUniqueViolation(error);
  }
}

/**
 * Gives an existing uploaded asset its image (or a new one). A new image makes the crops
 * cut from the old one meaningless, so they are removed and the asset is processed afresh.
 */
export async function uploadToAsset(
  deps: RegistryDeps,
  assetId: string,
  file: IncomingFile,
): Promise<AssetRow> {
  const before = await getAsset(deps.db, assetId);
  await assertNotProcessing(deps.db, await getManifest(deps.db, before.manifest_id));
  if (before.source !== "uploaded") {
    throw conflict(
      "asset_is_extracted",
      `Asset ${assetId} was extracted from another image, so its image cannot be replaced: ` +
        "upload a new image to the manifest instead.",
    );
  }
  const [image] = await prepareAll(deps, [file]);
  await storeBlobs(deps, [image]);
  let released: (string | null)[] = [];
  try {
    const row = await deps.db.transaction().execute(async (trx) => {
      const asset = await getAsset(trx, assetId);
      await assertNotProcessing(trx, await getManifest(trx, asset.manifest_id));
      await refuseExisting(trx, asset.manifest_id, [image]);
      const children = (await withDescendants(trx, assetId)).filter((id) => id !== assetId);
      if (children.length > 0) {
        released = (await trx.selectFrom("assets").select("image_key")
          .where("id", "in", children).execute()).map((r) => r.image_key);
        await trx.deleteFrom("assets").where("id", "in", children).execute();
      }
      released.push(asset.image_key);
      await trx.updateTable("assets").set({
        ...imageColumns(image),
        detected_at: null,
        embedded_at: null,
        prompted_at: null,
        prompt_error: null,
        face_embedding: null,
        identity_id: null,
        updated_at: now(),
      }).where("id", "=", assetId).execute();
      await touchManifest(trx, asset.manifest_id);
      return await getAsset(trx, assetId);
    });
    await restoreBlobsIfReleased(deps, [image]);
    await releaseImages(deps.db, deps.blobs, released);
    return row;
  } catch (error) {
    await releaseImages(deps.db, deps.blobs, [image.imageKey]);
    throw translateUniqueViolation(error);
  }
}

function imageColumns(image: PreparedImage) {
  return {
    image_key: image.imageKey,
    upload_sha256: image.uploadSha256,
    mime: image.mime,
    width: image.width,
    height: image.height,
    reference_image_url: null,
  };
}

function perFile<T>(values: readonly T[] | undefined, count: number, field: string): T[] | null {
  if (!values || values.length === 0) return null;
  if (values.length === count) return [...values];
  if (values.length === 1) return Array.from({ length: count }, () => values[0]);
  throw invalid(
    "per_file_mismatch",
    `Send one ${field} per file (${count}) or a single ${field} for all, not ${values.length}.`,
    { field, files: count, values: values.length },
  );
}

/** Refuses names that carry a path or control characters: they are never used as paths. */
export function checkFilename(filename: string): void {
  // deno-lint-ignore no-control-regex
  const bad = /[\u0000-\u001f\u007f/\\]/.test(filename) || filename === "." ||
    filename === ".." || filename.length > 255;
  if (bad) {
    throw invalid(
      "invalid_filename",
      `The file name ${JSON.stringify(filename)} contains a path or control characters: ` +
        "rename the file (letters, digits, spaces, dots, dashes) and upload it again.",
      { file: filename },
    );
  }
}

/** An asset name from a file name: the name without its extension. */
export function defaultName(filename: string, index: number): string {
  const stem = filename.replace(/\.[A-Za-z0-9]{1,5}$/, "").trim().slice(0, 200);
  return stem || `Upload ${index + 1}`;
}

async function prepareAll(
  deps: RegistryDeps,
  files: readonly IncomingFile[],
): Promise<PreparedImage[]> {
  files.forEach((file) => checkFilename(file.filename));
  // Settle all so no worker result is left unobserved, then report the first failure.
  const outcomes = await Promise.allSettled(files.map((file) => prepareImage(deps, file)));
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === "rejected") {
      throw aboutFile(outcome.reason, files[index].filename, index);
    }
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<PreparedImage>).value);
}

/**
 * Decodes and checks one image in a worker (415/422 when it is not one the service stores)
 * and makes what storing it needs: its bytes (upright), content key and thumbnail.
 */
export async function prepareImage(
  deps: RegistryDeps,
  file: IncomingFile,
): Promise<PreparedImage> {
  const inspected = await deps.images.inspect(file.bytes);
  const stored = inspected.normalized ?? file.bytes;
  const uploadSha256 = await sha256Hex(file.bytes);
  return {
    filename: file.filename,
    uploadSha256,
    imageKey: inspected.normalized ? await sha256Hex(stored) : uploadSha256,
    stored,
    thumbnail: inspected.thumbnail,
    mime: inspected.mime,
    width: inspected.width,
    height: inspected.height,
  };
}

function aboutFile(error: unknown, filename: string, index: number): unknown {
  if (!(error instanceof AppError)) return error;
  const details = { file: filename, index, ...(error.details as object | undefined) };
  return new AppError(error.kind, `${filename}: ${error.message}`, { code: error.code, details });
}

function refuseRepeatsWithinBatch(prepared: readonly PreparedImage[]): void {
  const seen = new Map<string, string>();
  for (const image of prepared) {
    const first = seen.get(image.uploadSha256);
    if (first !== undefined) {
      throw conflict(
        "duplicate_in_batch",
        `${first} and ${image.filename} are the same image: upload it once.`,
        { files: [first, image.filename] },
      );
    }
    seen.set(image.uploadSha256, image.filename);
  }
}

async function refuseExisting(
  trx: Db,
  manifestId: string,
  prepared: readonly PreparedImage[],
): Promise<void> {
  const existing = await trx.selectFrom("assets")
    .select(["id", "name", "manifest_tag", "upload_sha256"])
    .where("manifest_id", "=", manifestId)
    .where("upload_sha256", "in", prepared.map((p) => p.uploadSha256))
    .executeTakeFirst();
  if (!existing) return;
  const file = prepared.find((p) => p.uploadSha256 === existing.upload_sha256)!.filename;
  throw conflict(
    "duplicate_image",
    `${file} is already in this manifest as ${existing.manifest_tag ?? "an asset"} ` +
      `"${existing.name}" (asset ${existing.id}): it was not uploaded again.`,
    { file, existing_asset_id: existing.id, manifest_tag: existing.manifest_tag },
  );
}

/** Writes prepared images and their thumbnails, before the rows that will refer to them. */
export async function storeBlobs(
  deps: RegistryDeps,
  prepared: readonly PreparedImage[],
): Promise<void> {
  for (const image of prepared) {
    await deps.blobs.put(contentKey(image.imageKey), image.stored);
    await deps.blobs.put(thumbnailBlobKey(image.imageKey, DEFAULT_THUMBNAIL_SIZE), image.thumbnail);
  }
}

/**
 * A concurrent delete of another asset with the same bytes may have released a blob between
 * our write and our commit; now that our rows reference it, put it back.
 */
export async function restoreBlobsIfReleased(
  deps: RegistryDeps,
  prepared: readonly PreparedImage[],
): Promise<void> {
  for (const image of prepared) {
    if (!(await deps.blobs.has(contentKey(image.imageKey)))) {
      await deps.blobs.put(contentKey(image.imageKey), image.stored);
    }
  }
}

function translateUniqueViolation(error: unknown): unknown {
  if (
    error instanceof Error &&
    /UNIQUE constraint failed: assets\.manifest_id, assets\.upload_sha256/.test(error.message)
  ) {
    return conflict(
      "duplicate_image",
      "This image was uploaded to the manifest by another request at the same time.",
    );
  }
  return error;
}
