/**
 * Starting manifest jobs: process a manifest, or reprocess one asset. Each checks what a
 * person can act on, marks the manifest PROCESSING and queues the job in one transaction,
 * so a second request gets 409 at once and nothing is lost on restart.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { JobRow, ManifestRow } from "../db/tables.ts";
import type { EventHub } from "../events/event_hub.ts";
import { invalid } from "../errors.ts";
import type { JobRunner } from "../jobs/job_runner.ts";
import { enqueueJob } from "../jobs/job_store.ts";
import { getAsset } from "../registry/assets.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest } from "../registry/manifests.ts";
import {
  type ManifestJobDefinition,
  processManifestJob,
  reprocessAssetJob,
} from "./process_manifest.ts";

/** What the processing operations need. */
export interface ProcessingDeps {
  readonly db: Db;
  readonly hub: EventHub;
  readonly runner: JobRunner;
}

/**
 * Queues the manifest's processing and marks it PROCESSING in one transaction: a second
 * request gets 409 at once, a manifest without images 422.
 */
export async function startProcessing(deps: ProcessingDeps, manifestId: string): Promise<JobRow> {
  const job = await deps.db.transaction().execute(async (trx) => {
    const manifest = await getManifest(trx, manifestId);
    await assertNotProcessing(trx, manifest);
    const images = await trx.selectFrom("assets").select((eb) => eb.fn.countAll<number>().as("n"))
      .where("manifest_id", "=", manifestId).where("image_key", "is not", null)
      .executeTakeFirstOrThrow();
    if (Number(images.n) === 0) {
      throw invalid(
        "manifest_has_no_images",
        `Manifest ${manifestId} has no image to process: upload photos with ` +
          `POST /api/manifests/${manifestId}/uploads first.`,
      );
    }
    return await beginManifestJob(trx, manifest, processManifestJob, manifestId);
  });
  deps.runner.wake();
  return job;
}

/**
 * Queues the reprocessing of one asset: its per-step state is cleared (detection for an
 * upload, embedding, prompt) and the manifest's pipeline runs, which redoes only that.
 */
export async function startReprocess(deps: ProcessingDeps, assetId: string): Promise<JobRow> {
  const job = await deps.db.transaction().execute(async (trx) => {
    const asset = await getAsset(trx, assetId);
    const manifest = await getManifest(trx, asset.manifest_id);
    await assertNotProcessing(trx, manifest);
    if (!asset.image_key) {
      throw invalid(
        "asset_has_no_image",
        `Asset ${assetId} has no image to reprocess: upload one with POST /api/assets/${assetId}/upload.`,
      );
    }
    await trx.updateTable("assets").set({
      ...(asset.source === "uploaded" && { detected_at: null }),
      embedded_at: asset.is_face_crop === 1 ? null : asset.embedded_at,
      prompted_at: null,
      prompt_error: null,
      updated_at: now(),
    }).where("id", "=", assetId).execute();
    return await beginManifestJob(trx, manifest, reprocessAssetJob, assetId);
  });
  deps.runner.wake();
  return job;
}

/**
 * Marks a manifest PROCESSING and queues its job, remembering the status to return to on
 * cancel. Call inside the transaction that checked the manifest is not processing.
 */
async function beginManifestJob(
  trx: Db,
  manifest: ManifestRow,
  kind: ManifestJobDefinition<"process_manifest" | "reprocess_asset">,
  targetId: string,
): Promise<JobRow> {
  await trx.updateTable("manifests").set({ status: "PROCESSING", error: null, updated_at: now() })
    .where("id", "=", manifest.id).execute();
  return await enqueueJob(trx, kind, {
    targetId,
    params: { manifest_id: manifest.id, previous_status: manifest.status },
  });
}
