/**
 * The contact sheet of a manifest (docs/pipeline.md, step 1): composed in a worker from the stored images,
 * kept as a blob, served at `GET /api/manifests/{id}/contact-sheet`. Step 1 makes it from
 * the uploads; finalizing rebuilds it with every asset and its tag.
 *
 * @module
 */
import type { Db } from "../../db/database.ts";
import type { AssetRow } from "../../db/tables.ts";
import { composeContactSheetIn } from "../../engine/contact_sheet_client.ts";
import type { JobControl } from "../../jobs/job_control.ts";
import type { ContactSheetCell } from "../../imaging/contact_sheet.ts";
import { DEFAULT_THUMBNAIL_SIZE } from "../../engine/image_service.ts";
import { thumbnailBlobKey } from "../../registry/blob_refs.ts";
import { getManifest } from "../../registry/manifests.ts";
import { type BlobStore, contentKey } from "../../storage/blob_store.ts";
import { sha256Hex } from "../../storage/sha256.ts";
import type { EnginePool } from "../../engine/engine_pool.ts";
import { manifestAssets } from "../context.ts";

/** The URL a manifest's contact sheet is served at. */
export function contactSheetUrl(manifestId: string): string {
  return `/api/manifests/${manifestId}/contact-sheet`;
}

/**
 * Composes and stores a manifest's contact sheet, replacing the previous one.
 *
 * @param withCrops Every asset with an image (finalizing), or only the uploads (step 1).
 * @returns How many cells the sheet has.
 */
export async function buildContactSheet(
  deps: { db: Db; blobs: BlobStore; pool: EnginePool; control?: JobControl },
  manifestId: string,
  withCrops: boolean,
): Promise<number> {
  const manifest = await getManifest(deps.db, manifestId);
  const assets = (await manifestAssets(deps.db, manifestId)).filter((asset) =>
    asset.image_key !== null && (withCrops || asset.source === "uploaded")
  );
  const cells = await Promise.all(assets.map((asset) => cellOf(deps.blobs, asset)));
  const composing = composeContactSheetIn(deps.pool, {
    title: "PROJECT REFERENCE SHEET",
    subtitle: manifest.name,
    cells,
  });
  // Inside a job, a cancel does not wait for the drawing.
  const sheet = await (deps.control ? deps.control.interruptible(composing) : composing);
  const key = `sheets/${manifestId}/${(await sha256Hex(sheet)).slice(0, 32)}.jpg`;
  await deps.blobs.put(key, sheet);
  await deps.db.updateTable("manifests")
    .set({ contact_sheet_key: key, contact_sheet_url: contactSheetUrl(manifestId) })
    .where("id", "=", manifestId).execute();
  if (manifest.contact_sheet_key && manifest.contact_sheet_key !== key) {
    await deps.blobs.delete(manifest.contact_sheet_key);
  }
  return cells.length;
}

/** A cell from the cached 256 px thumbnail when there is one (much faster than the original). */
async function cellOf(blobs: BlobStore, asset: AssetRow): Promise<ContactSheetCell> {
  const key = asset.image_key!;
  const bytes = await blobs.get(thumbnailBlobKey(key, DEFAULT_THUMBNAIL_SIZE)) ??
    await blobs.get(contentKey(key));
  return { bytes, name: asset.name, assetType: asset.asset_type, tag: asset.manifest_tag };
}
