/**
 * Step 5, `finalizing`: new extracted assets get their tags — in order of their upload's
 * sort order, then detection confidence, continuing each prefix's counter, never touching an
 * existing tag — identities get their primary asset, and the contact sheet's pages whose
 * cells changed are drawn again with every asset and its tag (docs/pipeline.md, step 5). The
 * job then ends and sets the status.
 *
 * @module
 */
import type { Db } from "../../db/database.ts";
import type { AssetRow } from "../../db/tables.ts";
import type { AssetType } from "../../db/vocabulary.ts";
import { now } from "../../db/timestamp.ts";
import { assetToJson } from "../../registry/serialize.ts";
import { allocateTags } from "../../registry/tag_allocator.ts";
import { manifestAssets, rootUploads, type StepContext } from "../context.ts";
import { refreshContactSheet } from "./contact_sheet.ts";

/** Runs the finalizing step. */
export async function runFinalizing(ctx: StepContext): Promise<void> {
  const tagged = await ctx.db.transaction().execute(async (trx) => {
    const assets = await manifestAssets(trx, ctx.manifestId);
    const order = tagOrder(assets);
    // One reservation per type, handed out in tag order: the same tags as reserving them one
    // asset at a time, without reading every tag of the manifest once per asset.
    const reserved = new Map<AssetType, string[]>();
    for (const [type, ofType] of Map.groupBy(order, (asset) => asset.asset_type)) {
      reserved.set(type, await allocateTags(trx, ctx.manifestId, type, ofType.length));
    }
    const at = now();
    const changed = order.map((asset) => ({
      ...asset,
      manifest_tag: reserved.get(asset.asset_type)!.shift()!,
      updated_at: at,
    }));
    for (let start = 0; start < changed.length; start += 200) {
      const slice = changed.slice(start, start + 200);
      await trx.updateTable("assets").set((eb) => {
        const [first, ...rest] = slice;
        let tag = eb.case().when("id", "=", first.id).then(first.manifest_tag);
        for (const row of rest) tag = tag.when("id", "=", row.id).then(row.manifest_tag);
        return { manifest_tag: tag.end(), updated_at: at };
      }).where("id", "in", slice.map((row) => row.id)).execute();
    }
    await choosePrimaries(trx, ctx.manifestId, assets);
    return changed;
  });
  await ctx.control.checkpoint();
  // The pages are drawn in the workers while this thread tells followers of the new tags.
  await Promise.all([
    refreshContactSheet(ctx, ctx.manifestId, ctx.control.signal),
    ctx.progress.assets(tagged.map(assetToJson), "updated"),
  ]);
}

/** The untagged assets in the order they receive tags: upload order, then confidence. */
export function tagOrder(assets: readonly AssetRow[]): AssetRow[] {
  const roots = rootUploads(assets);
  const position = new Map(assets.map((asset, index) => [asset.id, index]));
  return assets.filter((asset) => asset.manifest_tag === null).sort((a, b) =>
    (roots.get(a.id)?.sort_order ?? a.sort_order) - (roots.get(b.id)?.sort_order ?? b.sort_order) ||
    (b.detection_confidence ?? 0) - (a.detection_confidence ?? 0) ||
    position.get(a.id)! - position.get(b.id)!
  );
}

/**
 * An identity's primary asset: an upload of it (the user's own reference) if any, else its
 * best-described crop (quality, then detection confidence). Locked identities keep theirs
 * unless it left the identity.
 */
async function choosePrimaries(
  trx: Db,
  manifestId: string,
  assets: readonly AssetRow[],
): Promise<void> {
  const identities = await trx.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).execute();
  const members = Map.groupBy(assets.filter((a) => a.identity_id), (a) => a.identity_id!);
  for (const identity of identities) {
    const own = members.get(identity.id) ?? [];
    if (own.length === 0) continue;
    if (identity.locked === 1 && own.some((a) => a.id === identity.primary_asset_id)) continue;
    const best = [...own].sort((a, b) =>
      rank(b) - rank(a) || (b.quality_score ?? -1) - (a.quality_score ?? -1) ||
      (b.detection_confidence ?? 0) - (a.detection_confidence ?? 0)
    )[0];
    if (best.id !== identity.primary_asset_id) {
      await trx.updateTable("identities").set({ primary_asset_id: best.id })
        .where("id", "=", identity.id).execute();
    }
  }
}

function rank(asset: AssetRow): number {
  if (asset.source === "uploaded") return 2;
  return asset.is_face_crop === 1 ? 1 : 0;
}
