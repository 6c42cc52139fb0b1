/**
 * Step 2, `yolo_detection` on the wire: finds faces, persons and objects in every upload not
 * yet detected and turns the ones worth keeping into extracted assets (docs/pipeline.md, step 2).
 *
 * Idempotent: an upload's crops and its `detected_at` are written in one transaction, and a
 * re-detected upload reconciles with the crops it already has (same role and class, IoU >
 * 0.5 keeps the asset), so crops are never duplicated.
 *
 * @module
 */
import { capitalise } from "../../text.ts";
import type { Transaction } from "kysely";
import type { AssetRow, Database } from "../../db/tables.ts";
import { now } from "../../db/timestamp.ts";
import { touchManifest } from "../../registry/manifests.ts";
import { assetToJson } from "../../registry/serialize.ts";
import { DEFAULT_THUMBNAIL_SIZE } from "../../engine/image_service.ts";
import { thumbnailBlobKey } from "../../registry/blob_refs.ts";
import { contentKey } from "../../storage/blob_store.ts";
import { sha256Hex } from "../../storage/sha256.ts";
import type { ImageAnalysis } from "../../vision/engine.ts";
import { analyzeImage } from "../../engine/vision_client.ts";
import { type Box, iou } from "../../vision/geometry.ts";
import { planCrops, type PlannedCrop } from "../../vision/crop_plan.ts";
import { manifestAssets, rootUploads, type StepContext } from "../context.ts";
import { inLanes } from "../lanes.ts";

/** Whether an upload is one detection looks at (STYLE images are references of a look). */
export function isDetectable(asset: AssetRow): boolean {
  return asset.source === "uploaded" && asset.image_key !== null && asset.asset_type !== "STYLE";
}

/** An embedding as stored in `face_embedding`. */
export function embeddingBlob(embedding: Float32Array): Uint8Array {
  return new Uint8Array(embedding.buffer.slice(
    embedding.byteOffset,
    embedding.byteOffset + embedding.byteLength,
  ));
}

/** Runs the detection step. */
export async function runDetection(ctx: StepContext): Promise<void> {
  const assets = await manifestAssets(ctx.db, ctx.manifestId);
  const uploads = assets.filter(isDetectable);
  const roots = rootUploads(assets);
  const pending = uploads.filter((upload) => upload.detected_at === null);
  ctx.progress.update({
    uploads_total: uploads.length,
    uploads_processed: uploads.length - pending.length,
    crops_total: assets.filter((asset) => asset.source === "extracted").length,
  });
  // One upload per worker at a time (each holds a worker for its whole analysis), and one
  // more waiting in the pool's queue, so no worker idles while this thread stores crops.
  await inLanes(pending, ctx.pool.stats().size + 1, async (upload) => {
    await ctx.control.checkpoint();
    const existing = assets.filter((asset) =>
      asset.source === "extracted" && roots.get(asset.id)?.id === upload.id
    );
    const created = await detectUpload(ctx, upload, existing);
    ctx.progress.add("uploads_processed");
    ctx.progress.add("crops_total", created.length);
    await ctx.progress.assets(created.map(assetToJson), "created");
  });
}

/** Analyses one upload and writes its crops; returns the assets it created. */
async function detectUpload(
  ctx: StepContext,
  upload: AssetRow,
  existing: readonly AssetRow[],
): Promise<AssetRow[]> {
  const bytes = await ctx.control.interruptible(ctx.blobs.get(contentKey(upload.image_key!)));
  if (!bytes) throw new Error(`The image of asset ${upload.id} is missing from storage.`);
  // The longest unit of the step: a cancel must not wait for it.
  const analysis = await ctx.control.interruptible(
    analyzeImage(ctx.pool, bytes, {
      embeddings: true,
      crops: true,
      thumbnailSize: DEFAULT_THUMBNAIL_SIZE,
      // The worker cuts only what this step's plan keeps: the same plan as below.
      cropPlan: ctx.cropPlan,
    }),
  );
  const plan = planCrops(analysis, analysis.faces, analysis.objects, ctx.cropPlan);
  const images = await Promise.all(plan.map(async (crop) => {
    const cut = cropSource(analysis, crop).crop;
    if (!cut) {
      throw new Error(`The worker did not cut the planned ${crop.role} crop of ${upload.id}.`);
    }
    const key = await sha256Hex(cut.bytes);
    await ctx.blobs.put(contentKey(key), cut.bytes);
    // Stored with the crop, like an upload's: the contact sheet is drawn from these alone.
    if (cut.thumbnail) {
      await ctx.blobs.put(thumbnailBlobKey(key, DEFAULT_THUMBNAIL_SIZE), cut.thumbnail);
    }
    return { key, mime: cut.mime, box: cut.box };
  }));
  const faces = plan.filter((crop) => crop.role === "face");

  return await ctx.db.transaction().execute(async (trx) => {
    const at = now();
    const ids = new Map<number, string>();
    const unmatched = new Set(existing);
    const created: AssetRow[] = [];
    for (const [index, crop] of plan.entries()) {
      const parentId = crop.parent === null ? upload.id : ids.get(crop.parent) ?? upload.id;
      const embedding = crop.source.kind === "face"
        ? analysis.faces[crop.source.index].embedding
        : null;
      const image = images[index];
      const columns = {
        source_asset_id: parentId,
        detection_class: crop.detectionClass,
        detection_confidence: round(crop.confidence, 4),
        crop_bbox: JSON.stringify(crop.box.map((v) => Math.round(v))),
        image_key: image.key,
        mime: image.mime,
        width: image.box[2] - image.box[0],
        height: image.box[3] - image.box[1],
        detected_at: at,
        ...(embedding && { face_embedding: embeddingBlob(embedding), embedded_at: at }),
        updated_at: at,
      };
      const match = matchExisting(crop, unmatched);
      if (match) {
        unmatched.delete(match);
        ids.set(crop.key, match.id);
        await trx.updateTable("assets").set(columns).where("id", "=", match.id).execute();
        continue;
      }
      const id = crypto.randomUUID();
      ids.set(crop.key, id);
      created.push(
        await trx.insertInto("assets").values({
          id,
          manifest_id: upload.manifest_id,
          asset_type: crop.assetType,
          name: cropName(crop, upload),
          source: "extracted",
          extraction_role: crop.role,
          sort_order: upload.sort_order,
          is_face_crop: crop.role === "face" ? 1 : 0,
          created_at: at,
          ...columns,
        }).returningAll().executeTakeFirstOrThrow(),
      );
    }
    const singleFace = faces.length === 1 ? analysis.faces[faces[0].source.index].embedding : null;
    await markUploadDetected(trx, upload, singleFace, at);
    if (created.length > 0) await touchManifest(trx, upload.manifest_id);
    return created;
  });
}

async function markUploadDetected(
  trx: Transaction<Database>,
  upload: AssetRow,
  singleFace: Float32Array | null,
  at: string,
): Promise<void> {
  // A CHARACTER upload showing exactly one face is that person's reference (docs/pipeline.md, face clustering).
  const embed = upload.asset_type === "CHARACTER" && singleFace !== null;
  await trx.updateTable("assets").set({
    detected_at: at,
    updated_at: at,
    ...(embed && { face_embedding: embeddingBlob(singleFace), embedded_at: at }),
  }).where("id", "=", upload.id).execute();
}

function cropSource(analysis: ImageAnalysis, crop: PlannedCrop) {
  return crop.source.kind === "face"
    ? analysis.faces[crop.source.index]
    : analysis.objects[crop.source.index];
}

/** The crop this planned one re-finds: same role and class, overlapping by IoU > 0.5. */
function matchExisting(crop: PlannedCrop, candidates: Set<AssetRow>): AssetRow | undefined {
  let best: AssetRow | undefined;
  let bestOverlap = 0.5;
  for (const asset of candidates) {
    if (asset.extraction_role !== crop.role || asset.detection_class !== crop.detectionClass) {
      continue;
    }
    const box = asset.crop_bbox ? JSON.parse(asset.crop_bbox) as Box : null;
    const overlap = box ? iou(box, crop.box) : 0;
    if (overlap > bestOverlap) {
      best = asset;
      bestOverlap = overlap;
    }
  }
  return best;
}

/** A crop's name until the reverse-prompt step suggests a better one. */
function cropName(crop: PlannedCrop, upload: AssetRow): string {
  const what = crop.role === "face"
    ? "Face"
    : crop.role === "person"
    ? "Person"
    : capitalise(crop.detectionClass);
  return `${what} in ${upload.name}`.slice(0, 200);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
