/**
 * Assets: create, read, change, delete, and their images.
 *
 * @module
 */
import { sql, type Transaction } from "kysely";
import type { AssetInput, AssetPatch } from "./inputs.ts";
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import {
  ASSET_FIELD_COLUMNS,
  type AssetFields,
  type AssetRow,
  type Database,
} from "../db/tables.ts";
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

/**
 * A manifest's assets in display order: by sort order (crops share their upload's), the
 * upload before its crops, crops by detection confidence — the order tags are given in.
 */
export async function assetsInDisplayOrder(db: Db, manifestId: string): Promise<AssetRow[]> {
  return (await Array.fromAsync(assetSlicesInDisplayOrder(db, manifestId))).flat();
}

/**
 * As {@linkcode assetsInDisplayOrder}, without the face embeddings (2 KiB each): for whoever
 * needs every asset of a manifest but not the embeddings.
 */
export async function assetFieldsInDisplayOrder(
  db: Db,
  manifestId: string,
): Promise<AssetFields[]> {
  return (await Array.fromAsync(assetFieldSlicesInDisplayOrder(db, manifestId))).flat();
}

/**
 * The assets of a manifest in display order (see `assetsInDisplayOrder`), read and yielded
 * {@linkcode ROWS_PER_READ} at a time: whoever writes them out as it goes never holds every
 * row of a large manifest. An asset deleted meanwhile is left out.
 */
export function assetSlicesInDisplayOrder(
  db: Db,
  manifestId: string,
): AsyncGenerator<AssetRow[], void, undefined> {
  return slicesInDisplayOrder(
    db,
    manifestId,
    (ids) => db.selectFrom("assets").selectAll().where("id", "in", ids).execute(),
  );
}

/**
 * As {@linkcode assetSlicesInDisplayOrder}, without the face embeddings: what lists and
 * views of assets read, as they never show them.
 */
export function assetFieldSlicesInDisplayOrder(
  db: Db,
  manifestId: string,
): AsyncGenerator<AssetFields[], void, undefined> {
  return slicesInDisplayOrder(
    db,
    manifestId,
    (ids) =>
      db.selectFrom("assets").select(ASSET_FIELD_COLUMNS)
        .select((eb) =>
          eb.case().when("face_embedding", "is", null).then(0).else(1).end()
            .as("has_face_embedding")
        )
        .where("id", "in", ids).execute(),
  );
}

async function* slicesInDisplayOrder<Row extends { id: string }>(
  db: Db,
  manifestId: string,
  read: (ids: string[]) => Promise<Row[]>,
): AsyncGenerator<Row[], void, undefined> {
  const order = await db.selectFrom("assets").select("id").where("manifest_id", "=", manifestId)
    .orderBy("sort_order")
    .orderBy(sql`source = 'extracted'`)
    .orderBy(sql`coalesce(detection_confidence, 0)`, "desc")
    .orderBy("created_at").orderBy("id").execute();
  // Whole rows are read in slices: one statement materialising thousands of wide rows would
  // hold the request thread for a tenth of a second or more.
  for (let start = 0; start < order.length; start += ROWS_PER_READ) {
    const ids = order.slice(start, start + ROWS_PER_READ).map((row) => row.id);
    const byId = new Map((await read(ids)).map((row) => [row.id, row]));
    yield ids.map((id) => byId.get(id)).filter((row): row is Row => row !== undefined);
  }
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
    await patchAsset(trx, asset, patch, guard);
    await touchManifest(trx, asset.manifest_id);
    return await getAsset(trx, id);
  });
}

/**
 * Writes a person's change to one asset inside `trx`, giving it a new tag when its type
 * changes — refused (409 `asset_in_use`) while a storyboard uses it, unless `guard.force`.
 * The caller has checked the manifest is not processing and touches it once afterwards, so a
 * bulk change of many assets is one version step.
 */
export async function patchAsset(
  trx: Transaction<Database>,
  asset: AssetRow,
  patch: AssetPatch,
  guard: UsageGuard = {},
): Promise<void> {
  const newType = patch.asset_type !== undefined && patch.asset_type !== asset.asset_type
    ? patch.asset_type
    : undefined;
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
  }).where("id", "=", asset.id).execute();
}

/** Ids of `rootIds` and every asset extracted from them, however deep. */
export async function withDescendants(
  trx: Transaction<Database>,
  rootIds: string | readonly string[],
): Promise<string[]> {
  const all = new Set(typeof rootIds === "string" ? [rootIds] : rootIds);
  let frontier = [...all];
  while (frontier.length > 0) {
    const children: string[] = [];
    for (const part of chunks(frontier)) {
      const rows = await trx.selectFrom("assets").select("id")
        .where("source_asset_id", "in", part).execute();
      children.push(...rows.map((row) => row.id));
    }
    frontier = children.filter((childId) => !all.has(childId));
    for (const childId of frontier) all.add(childId);
  }
  return [...all];
}

/**
 * Slices of `ids` short enough for one `in (…)` list: SQLite caps the parameters of one
 * statement, and a bulk change may name every asset of a large manifest.
 */
export function chunks<T>(ids: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
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
  const { imageKeys } = await deps.db.transaction().execute(async (trx) => {
    const asset = await getAsset(trx, id);
    await assertNotProcessing(trx, await getManifest(trx, asset.manifest_id));
    const deleted = await deleteAssets(trx, asset.manifest_id, [asset], guard);
    await touchManifest(trx, asset.manifest_id);
    return deleted;
  });
  await releaseImages(deps.db, deps.blobs, imageKeys);
}

/**
 * Deletes assets of one manifest and every crop extracted from them inside `trx`, keeping
 * its identities true to their members; refused (409 `asset_in_use`, naming the first such
 * asset) while a storyboard uses one of them or of their crops, unless `guard.force`.
 * Returns the ids deleted and their image keys, to be released once the transaction has
 * committed (a rolled-back delete must keep its files). The caller has checked the manifest
 * is not processing and touches it afterwards.
 */
export async function deleteAssets(
  trx: Transaction<Database>,
  manifestId: string,
  assets: readonly AssetRow[],
  guard: UsageGuard = {},
): Promise<{ ids: string[]; imageKeys: (string | null)[] }> {
  const all = await withDescendants(trx, assets.map((asset) => asset.id));
  const doomed: AssetRow[] = [];
  for (const part of chunks(all)) {
    doomed.push(...await trx.selectFrom("assets").selectAll().where("id", "in", part).execute());
  }
  if (!guard.force) {
    for (const asset of assets) {
      await assertNotInUse(trx, asset, subtree(asset.id, doomed), "delete");
    }
  }
  for (const part of chunks(all)) {
    await trx.updateTable("identities").set({ primary_asset_id: null })
      .where("primary_asset_id", "in", part).execute();
  }
  for (const part of chunks(all)) await trx.deleteFrom("assets").where("id", "in", part).execute();
  await recountIdentities(trx, manifestId);
  return { ids: all, imageKeys: doomed.map((row) => row.image_key) };
}

/** The rows of `rows` that are `rootId` or were cut from it, however deep. */
function subtree(rootId: string, rows: readonly AssetRow[]): AssetRow[] {
  const inside = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (!inside.has(row.id) && row.source_asset_id && inside.has(row.source_asset_id)) {
        inside.add(row.id);
        grew = true;
      }
    }
  }
  return rows.filter((row) => inside.has(row.id));
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
