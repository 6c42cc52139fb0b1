/**
 * One change applied to many assets of a manifest at once, all or nothing: one transaction,
 * one version step of the manifest, and a refusal that names the ids at fault.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { AssetRow, Database } from "../db/tables.ts";
import type { AssetType } from "../db/vocabulary.ts";
import { deleteAssets, getAsset, patchAsset, type UsageGuard } from "./assets.ts";
import { AppError } from "../errors.ts";
import { releaseImages } from "./blob_refs.ts";
import type { RegistryDeps } from "./deps.ts";
import { assertNotProcessing, getManifest, touchManifest } from "./manifests.ts";
import { rowsOfManifest } from "./selection.ts";

/** What a bulk request does to the assets it names. */
export type BulkAssetAction =
  | { readonly action: "set_type"; readonly asset_ids: readonly string[]; asset_type: AssetType }
  | { readonly action: "delete"; readonly asset_ids: readonly string[] };

/** The assets changed (in the order named) and the ids deleted (crops of deleted ones too). */
export interface BulkAssetResult {
  readonly items: AssetRow[];
  readonly deleted_ids: string[];
}

/**
 * Applies `request` to assets of manifest `manifestId`. Unknown ids or ids of another
 * manifest → 422 naming them; a PROCESSING manifest → 409; an asset a storyboard uses, when
 * it would be retyped or deleted → 409 `asset_in_use` unless `guard.force`; in every refusal
 * nothing changes.
 */
export async function bulkAssets(
  deps: RegistryDeps,
  manifestId: string,
  request: BulkAssetAction,
  guard: UsageGuard = {},
): Promise<BulkAssetResult> {
  const result = await deps.db.transaction().execute(async (trx) => {
    try {
      return await applyInTransaction(trx);
    } catch (error) {
      // The refusal of one asset, said for the whole request: it changed nothing, and the
      // way to go ahead is the bulk request's own force.
      if (error instanceof AppError && error.code === "asset_in_use") {
        throw new AppError(
          "conflict",
          `${error.message} Nothing of this bulk request was changed: send it again with ` +
            `?force=true to ${request.action === "delete" ? "delete" : "retype"} all ` +
            `${new Set(request.asset_ids).size} anyway.`,
          { code: error.code, details: error.details },
        );
      }
      throw error;
    }
  });
  await releaseImages(deps.db, deps.blobs, result.imageKeys);
  return { items: result.items, deleted_ids: result.deleted_ids };

  async function applyInTransaction(trx: Transaction<Database>) {
    const manifest = await getManifest(trx, manifestId);
    const assets = await rowsOfManifest(trx, "assets", manifestId, request.asset_ids);
    await assertNotProcessing(trx, manifest);
    if (request.action === "delete") {
      const deleted = await deleteAssets(trx, manifestId, assets, guard);
      await touchManifest(trx, manifestId);
      return { items: [], deleted_ids: deleted.ids, imageKeys: deleted.imageKeys };
    }
    // In the order named, which is the order the tags of a new type are numbered in.
    for (const asset of assets) {
      await patchAsset(trx, asset, { asset_type: request.asset_type }, guard);
    }
    await touchManifest(trx, manifestId);
    const items = [];
    for (const asset of assets) items.push(await getAsset(trx, asset.id));
    return { items, deleted_ids: [], imageKeys: [] };
  }
}
