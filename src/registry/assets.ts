/**
 * Assets: create, read, change, delete, and their images.
 *
 * @module
 */
import { sql, type Transaction } from "kysely";
import type { AssetInput, AssetPatch } from "./inputs.ts";
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import type { AssetRow, Database } from "../db/tables.ts";
import { AppError } from "../errors.ts";
import { releaseImages, thumbnailBlobKey } from "./blob_refs.ts";
import { contentKey } from "../storage/blob_store.ts";
import { type RegistryDeps } from "./deps.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest, touchManifest } from "./manifests.ts";
import { allocateTags } from "./tag_allocator.ts";
import { recountIdentities } from "./identity_counts.ts";
import { assertNotInUse } from "./usage.ts";

/**
 * How a change treats an asset that a stored storyboard uses: by default it is refused (409
 * `asset_in_use`); `force` makes it anyway, leaving those storyboards naming the old tag.
 */
export interface UsageGuard {
  readonly force?: boolean;
}

/** The asset `id`, or a 404. */
export function getAsset(db: Db, id: string): Promise<AssetRow> {
  return getById(db, "assets", "Asset", id);
}

/** The assets of a manifest in display order; a 404 for an unknown manifest. */
export async function listAssets(
  db: Db,
  manifestId: string,
): Promise<AssetRow[]> {
  await getManifest(db, manifestId);
  return await assetsInDisplayOrder(db, manifestId);
}

/**
 * A manifest's assets in display order: by sort order (crops share their upload's), the
 * upload before its crops, crops by detection confidence — the order tags are given in.
 */
export async function assetsInDisplayOrder(db: Db, manifestId: string): Promise<AssetRow[]> {
  const order = await db.selectFrom("assets").select("id").where("manifest_id", "=", manifestId)
    .orderBy("sort_order")
    .orderBy(sql`source = 'extracted'`)
    .orderBy(sql`coalesce(detection_confidence, 0)`, "desc")
    .orderBy("created_at").orderBy("id").execute();
  // Whole rows are read in slices: one statement materialising thousands of wide rows would
  // hold the request thread for a tenth of a second or more.
  const byId = new Map<string, AssetRow>();
  for (let start = 0; start < order.length; start += ROWS_PER_READ) {
    const ids = order.slice(start, start + ROWS_PER_READ).map((row) => row.id);
    const rows = await db.selectFrom("assets").selectAll().where("id", "in", ids).execute();
    for (const row of rows) byId.set(row.id, row);
  }
  return order.map((row) => byId.get(row.id)).filter((row): row is AssetRow => row !== undefined);
}

/** Rows read by one statement when a manifest's assets are listed. */
const ROWS_PER_READ = 250;

/** The next free `sort_order` in a manifest. */
export async function nextSortOrder(
  trx: Transaction<Database>,
  manifestId: string,
): Promise<number> {
  const row = await trx.selectFrom("assets")
    .select((eb) => eb.fn.max<number | null>("sort_order").as("highest"))
    .where("manifest_id", "=", manifestId).executeTakeFirst();
  return row?.highest === null || row?.highest === undefined ? 0 : row.highest + 1;
}

/** Creates an asset without an image (upload one later with `POST /assets/{id}/upload`). */
export async function createAsset(
  { db }: RegistryDeps,
  manifestId: string,
  input: AssetInput,
): Promise<AssetRow> {
  return await db.transaction().execute(async (trx) => {
    const manifest = await getManifest(trx, manifestId);
    await assertNotProcessing(trx, manifest);
    const [tag] = await allocateTags(trx, manifestId, input.asset_type);
    const at = now();
    const row = await trx.insertInto("assets").values({
      id: crypto.randomUUID(),
      manifest_id: manifestId,
      asset_type: input.asset_type,
      name: input.name,
      manifest_tag: tag,
      user_tags: JSON.stringify(input.user_tags),
      description: input.description ?? null,
      sort_order: await nextSortOrder(trx, manifestId),
      created_at: at,
      updated_at: at,
    }).returningAll().executeTakeFirstOrThrow();
    await touchManifest(trx, manifestId);
    return row;
  });
}

/**
 * Changes an asset; a new type gets a new tag of the new prefix (the old one is retired),
 * which is refused while a storyboard uses the asset unless `guard.force` is set.
 */
export async function updateAsset(
  { db }: RegistryDeps,
  id: string,
  patch: AssetPatch,
  guard: UsageGuard = {},
): Promise<AssetRow> {
  return await db.transaction().execute(async (trx) => {
    const asset = await getAsset(trx, id);
    await assertNotProcessing(trx, await getManifest(trx, asset.manifest_id));
    const newType = patch.asset_type !== asset.asset_type ? patch.asset_type : undefined;
    if (newType && !guard.force) await assertNotInUse(trx, asset, [asset], "retype");
    const tag = newType
      ? (await allocateTags(trx, asset.manifest_id, newType))[0]
      : asset.manifest_tag;
    await trx.updateTable("assets").set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.asset_type !== undefined && { asset_type: patch.asset_type }),
      ...(patch.user_tags !== undefined && { user_tags: JSON.stringify(patch.user_tags) }),
      ...(patch.sort_order !== undefined && { sort_order: patch.sort_order }),
      ...(patch.reverse_prompt !== undefined && { reverse_prompt: patch.reverse_prompt }),
      ...(patch.visual_description !== undefined &&
        { visual_description: patch.visual_description }),
      manifest_tag: tag,
      updated_at: now(),
    }).where("id", "=", id).execute();
    await touchManifest(trx, asset.manifest_id);
    return await getAsset(trx, id);
  });
}

/** Ids of `rootId` and every asset extracted from it, however deep. */
export async function withDescendants(
  trx: Transaction<Database>,
  rootId: string,
): Promise<string[]> {
  const all = [rootId];
  let frontier = [rootId];
  while (frontier.length > 0) {
    const children = await trx.selectFrom("assets").select("id")
      .where("source_asset_id", "in", frontier).execute();
    frontier = children.map((c) => c.id).filter((childId) => !all.includes(childId));
    all.push(...frontier);
  }
  return all;
}

/**
 * Deletes an asset and the crops extracted from it, then their unreferenced blobs. Refused
 * while a storyboard uses the asset or one of those crops, unless `guard.force` is set.
 */
export async function deleteAsset(
  deps: RegistryDeps,
  id: string,
  guard: UsageGuard = {},
): Promise<void> {
  const imageKeys = await deps.db.transaction().execute(async (trx) => {
    const asset = await getAsset(trx, id);
    await assertNotProcessing(trx, await getManifest(trx, asset.manifest_id));
    const ids = await withDescendants(trx, id);
    const doomed = await trx.selectFrom("assets").selectAll().where("id", "in", ids).execute();
    if (!guard.force) await assertNotInUse(trx, asset, doomed, "delete");
    await trx.updateTable("identities").set({ primary_asset_id: null })
      .where("primary_asset_id", "in", ids).execute();
    await trx.deleteFrom("assets").where("id", "in", ids).execute();
    await recountIdentities(trx, asset.manifest_id);
    await touchManifest(trx, asset.manifest_id);
    return doomed.map((row) => row.image_key);
  });
  await releaseImages(deps.db, deps.blobs, imageKeys);
}

/** An asset's stored image bytes and type, or a 404 that says how to add one. */
export async function readImage(
  deps: RegistryDeps,
  id: string,
): Promise<{ bytes: Uint8Array; mime: string; etag: string }> {
  const asset = await getAsset(deps.db, id);
  const key = requireImageKey(asset);
  const bytes = await deps.blobs.get(contentKey(key));
  if (!bytes) throw missingBlob(asset);
  return { bytes, mime: asset.mime ?? "application/octet-stream", etag: key };
}

/** A cached (or freshly made) JPEG thumbnail of an asset's image. */
export async function readThumbnail(
  deps: RegistryDeps,
  id: string,
  size: number,
): Promise<{ bytes: Uint8Array; etag: string }> {
  const asset = await getAsset(deps.db, id);
  const key = requireImageKey(asset);
  const cacheKey = thumbnailBlobKey(key, size);
  const cached = await deps.blobs.get(cacheKey);
  if (cached) return { bytes: cached, etag: `${key}-${size}` };
  const original = await deps.blobs.get(contentKey(key));
  if (!original) throw missingBlob(asset);
  const bytes = await deps.images.thumbnail(original, size);
  await deps.blobs.put(cacheKey, bytes);
  return { bytes, etag: `${key}-${size}` };
}

function requireImageKey(asset: AssetRow): string {
  if (asset.image_key) return asset.image_key;
  throw new AppError(
    "not_found",
    `Asset ${asset.id} has no image yet: upload one with POST /api/assets/${asset.id}/upload.`,
    { code: "asset_has_no_image", details: { id: asset.id } },
  );
}

function missingBlob(asset: AssetRow): Error {
  // The row says there is an image but the file is gone: a storage fault, not bad input.
  return new Error(`The image of asset ${asset.id} is missing from storage (${asset.image_key}).`);
}
