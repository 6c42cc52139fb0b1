/**
 * The job that manifests: runs the five steps in order, then ends the job and sets the
 * manifest's status in one transaction, and says so with a `done` frame.
 *
 * @module
 */
import type { JobRow } from "../db/tables.ts";
import { type JobControl, type JobHandler, JobInterruptedError } from "../jobs/job_runner.ts";
import { finishJob, paramsOf } from "../jobs/job_store.ts";
import { now } from "../db/timestamp.ts";
import { touchManifest } from "../registry/manifests.ts";
import type { Topic } from "../db/vocabulary.ts";
import type { PipelineDeps, StepContext } from "./context.ts";
import {
  type Counters,
  parseStoredProgress,
  ProgressReporter,
  type Step,
  STEPS,
} from "./progress.ts";
import { buildContactSheet } from "./steps/contact_sheet.ts";
import { runDetection } from "./steps/detection.ts";
import { runFaceMatching } from "./steps/face_matching.ts";
import { runReversePrompting } from "./steps/reverse_prompting.ts";
import { runFinalizing } from "./steps/finalizing.ts";

const RUN_STEP: Readonly<Record<Step, (ctx: StepContext) => Promise<unknown>>> = Object.freeze({
  contact_sheet: (ctx: StepContext) => buildContactSheet(ctx, ctx.manifestId, false),
  yolo_detection: runDetection,
  face_matching: runFaceMatching,
  reverse_prompting: runReversePrompting,
  finalizing: runFinalizing,
});

/** The topic of a manifest's frames. */
export function manifestTopic(manifestId: string): Topic {
  return `manifest:${manifestId}`;
}

/** The manifest a job works on. */
export function manifestIdOf(job: JobRow): string {
  const id = paramsOf(job).manifest_id;
  return typeof id === "string" ? id : job.target_id;
}

/** The handler of `process_manifest` and `reprocess_asset` jobs. */
export function manifestJobHandler(deps: PipelineDeps): JobHandler {
  return async function runManifestJob(job: JobRow, control: JobControl): Promise<void> {
    const manifestId = manifestIdOf(job);
    const progress = new ProgressReporter<Step, Counters>({
      db: deps.db,
      hub: deps.hub,
      jobId: job.id,
      topic: manifestTopic(manifestId),
      provider: deps.provider.name,
      signal: control.signal,
    });
    const ctx: StepContext = { ...deps, manifestId, jobId: job.id, control, progress };
    try {
      for (const step of STEPS) {
        await control.checkpoint();
        await progress.stepStarted(step);
        await RUN_STEP[step](ctx);
        await progress.stepFinished(step);
      }
      const outcome = await finish(ctx);
      await progress.flush();
      await deps.hub.emitDone(progress.topic, job.id, {
        status: outcome.error ? "error" : "complete",
        error: outcome.error,
        totals: { ...progress.counters, asset_count: outcome.assetCount },
      });
    } finally {
      progress.dispose();
    }
  };
}

/** Ends the job and sets READY — or ERROR when no asset could be described at all. */
async function finish(ctx: StepContext): Promise<{ error: string | null; assetCount: number }> {
  return await ctx.db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom("assets").select(["prompted_at", "prompt_error", "image_key"])
      .where("manifest_id", "=", ctx.manifestId).execute();
    const withImage = rows.filter((row) => row.image_key !== null);
    const failed = withImage.filter((row) => row.prompted_at === null && row.prompt_error);
    const error = withImage.length > 0 && failed.length === withImage.length
      ? `No asset could be described: ${failed[0].prompt_error}`
      : null;
    const ended = await finishJob(trx, ctx.jobId, error ? "failed" : "succeeded", error);
    if (!ended) throw new JobInterruptedError(`Job ${ctx.jobId} was cancelled.`);
    await trx.updateTable("manifests")
      .set({ status: error ? "ERROR" : "READY", error, updated_at: now() })
      .where("id", "=", ctx.manifestId).execute();
    await touchManifest(trx, ctx.manifestId);
    return { error, assetCount: rows.length };
  });
}

/**
 * After a manifest job failed (the runner already marked it): the manifest ends ERROR with
 * the job's message, and subscribers get `done`.
 */
export function onManifestJobFailed(deps: PipelineDeps) {
  return async function markManifestFailed(job: JobRow, error: unknown): Promise<void> {
    const manifestId = manifestIdOf(job);
    const message = error instanceof Error ? error.message : String(error);
    await deps.db.updateTable("manifests")
      .set({ status: "ERROR", error: message, updated_at: now() })
      .where("id", "=", manifestId).where("status", "=", "PROCESSING").execute();
    const row = await deps.db.selectFrom("jobs").select("progress").where("id", "=", job.id)
      .executeTakeFirst();
    await deps.hub.emitDone(manifestTopic(manifestId), job.id, {
      status: "error",
      error: message,
      totals: parseStoredProgress(row?.progress ?? null).counters,
    });
  };
}
