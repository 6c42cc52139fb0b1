/**
 * The processing API's operations: start a manifest job, reprocess one asset, cancel a job,
 * and read progress — all from the durable job state, so nothing is lost on restart.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { JobRow, ManifestRow } from "../db/tables.ts";
import { isOneOf, MANIFEST_STATUSES } from "../db/vocabulary.ts";
import type { EventHub } from "../events/event_hub.ts";
import { AppError, conflict, invalid } from "../errors.ts";
import { isTopic } from "../events/frames.ts";
import type { JobRunner } from "../jobs/job_runner.ts";
import {
  enqueueJob,
  getJob,
  latestManifestJob,
  markCancelled,
  paramsOf,
  PROGRESS_STATUS,
} from "../jobs/job_store.ts";
import { getAsset } from "../registry/assets.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest } from "../registry/manifests.ts";
import { manifestIdOf, manifestTopic } from "./process_manifest.ts";
import { parseStoredProgress } from "./progress.ts";
import {
  onStoryboardJobCancelled,
  projectTopic,
  storedProgress,
  storyboardProgress,
} from "../storyboard/generate.ts";

/** What the processing operations need. */
export interface ProcessingDeps {
  readonly db: Db;
  readonly hub: EventHub;
  readonly runner: JobRunner;
}

/** What `GET /manifests/{id}/progress` returns and the WebSocket `snapshot` carries. */
export interface ProgressView {
  status: string;
  job_id: string | null;
  manifest_status: string;
  current_step: string | null;
  progress: Record<string, number>;
  steps: Record<string, { state: string; duration_ms: number | null }>;
  provider: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** The progress of a manifest's newest job (`not_started` when it never had one). */
export async function manifestProgress(db: Db, manifestId: string): Promise<ProgressView> {
  const manifest = await getManifest(db, manifestId);
  const job = await latestManifestJob(db, manifestId);
  const stored = parseStoredProgress(job?.progress ?? null);
  return {
    status: job ? PROGRESS_STATUS[job.status] : "not_started",
    job_id: job?.id ?? null,
    manifest_status: manifest.status,
    current_step: job?.current_step ?? null,
    progress: { ...stored.counters },
    steps: stored.steps,
    provider: stored.provider,
    error: job?.error ?? (manifest.status === "ERROR" ? manifest.error : null),
    started_at: job?.started_at ?? null,
    finished_at: job?.finished_at ?? null,
  };
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
    return await beginManifestJob(trx, manifest, "process_manifest", manifestId);
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
    return await beginManifestJob(trx, manifest, "reprocess_asset", assetId);
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
  kind: "process_manifest" | "reprocess_asset",
  targetId: string,
): Promise<JobRow> {
  await trx.updateTable("manifests").set({ status: "PROCESSING", error: null, updated_at: now() })
    .where("id", "=", manifest.id).execute();
  return await enqueueJob(trx, {
    kind,
    targetId,
    params: { manifest_id: manifest.id, previous_status: manifest.status },
  });
}

/**
 * What a WebSocket subscriber to `topic` is told first: the same object as
 * `GET /manifests/{id}/progress`, or null for a topic that names nothing.
 */
export async function topicSnapshot(
  db: Db,
  topic: string,
): Promise<Record<string, unknown> | null> {
  if (!isTopic(topic)) return null;
  const [kind, id] = topic.split(":");
  try {
    return kind === "manifest"
      ? { ...await manifestProgress(db, id) }
      : { ...await storyboardProgress(db, id) };
  } catch (error) {
    if (error instanceof AppError && error.kind === "not_found") return null;
    throw error;
  }
}

/**
 * Cancels a queued or running job: it stops at its next unit of work, and its manifest goes
 * back to the status it had before. Work already done is kept; a later run finishes it.
 */
export async function cancelJob(deps: ProcessingDeps, jobId: string): Promise<JobRow> {
  const cancelled = await deps.db.transaction().execute(async (trx) => {
    const job = await getJob(trx, jobId);
    const row = await markCancelled(trx, jobId);
    if (!row) {
      throw conflict(
        "job_not_active",
        `Job ${jobId} already ended (${job.status}): there is nothing to cancel.`,
        { job_id: jobId, status: job.status },
      );
    }
    if (row.kind === "storyboard") await onStoryboardJobCancelled(trx, row);
    else {
      const previous = paramsOf(row).previous_status;
      await trx.updateTable("manifests").set({
        status: isOneOf(MANIFEST_STATUSES, previous) && previous !== "PROCESSING"
          ? previous
          : "DRAFT",
        updated_at: now(),
      }).where("id", "=", manifestIdOf(row)).where("status", "=", "PROCESSING").execute();
    }
    return row;
  });
  deps.runner.interrupt(jobId);
  const storyboard = cancelled.kind === "storyboard";
  await deps.hub.emitDone(
    storyboard ? projectTopic(cancelled.target_id) : manifestTopic(manifestIdOf(cancelled)),
    jobId,
    {
      status: "cancelled",
      error: null,
      totals: storyboard
        ? storedProgress(cancelled.progress).counters
        : parseStoredProgress(cancelled.progress).counters,
    },
  );
  return cancelled;
}
