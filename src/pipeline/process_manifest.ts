/**
 * The jobs that manifest: `process_manifest` (a manifest's uploads) and `reprocess_asset`
 * (one asset whose per-step state was cleared) run the same five steps in order, then end
 * the job and set the manifest's status in one transaction. Both are serialised on, and
 * report on, their manifest.
 *
 * @module
 */
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { now } from "../db/timestamp.ts";
import { type JobKind, MANIFEST_STATUSES } from "../db/vocabulary.ts";
import { type JobControl, JobInterruptedError } from "../jobs/job_control.ts";
import type { Job, JobDefinition, JobOutcome } from "../jobs/job_definition.ts";
import { finishJob } from "../jobs/job_store.ts";
import { touchManifest } from "../registry/manifests.ts";
import type { PipelineDeps, StepContext } from "./context.ts";
import {
  type Counters,
  emptyCounters,
  type ManifestProgress,
  manifestProgress,
  type Step,
  STEPS,
} from "./progress.ts";
import { refreshContactSheet } from "./steps/contact_sheet.ts";
import { runDetection } from "./steps/detection.ts";
import { runFaceMatching } from "./steps/face_matching.ts";
import { runReversePrompting } from "./steps/reverse_prompting.ts";
import { runFinalizing } from "./steps/finalizing.ts";

/** The params of a manifest job: its manifest, and the status to return to on cancel. */
export const ManifestJobParams = z.object({
  manifest_id: z.string(),
  // PROCESSING is never one to return to; a row without one returns to DRAFT.
  previous_status: z.enum(MANIFEST_STATUSES).catch("DRAFT"),
});

/** What a manifest job's params hold. */
export type ManifestJobParams = z.infer<typeof ManifestJobParams>;

/** A manifest job kind's definition. */
export type ManifestJobDefinition<K extends JobKind> = JobDefinition<
  K,
  ManifestJobParams,
  Step,
  Counters,
  PipelineDeps
>;

const RUN_STEP: Readonly<Record<Step, (ctx: StepContext) => Promise<unknown>>> = Object.freeze({
  contact_sheet: (ctx: StepContext) => refreshContactSheet(ctx, ctx.manifestId, ctx.control.signal),
  yolo_detection: runDetection,
  face_matching: runFaceMatching,
  reverse_prompting: runReversePrompting,
  finalizing: runFinalizing,
});

/** Runs the five steps, then ends the job. */
async function runManifestJob(
  job: Job<ManifestJobParams>,
  control: JobControl,
  progress: ManifestProgress,
  deps: PipelineDeps,
): Promise<JobOutcome> {
  const ctx: StepContext = {
    ...deps,
    manifestId: job.params.manifest_id,
    jobId: job.id,
    control,
    progress,
  };
  for (const step of STEPS) {
    await control.checkpoint();
    await progress.stepStarted(step);
    await RUN_STEP[step](ctx);
    await progress.stepFinished(step);
  }
  const { error, assetCount, warnings } = await finish(ctx, job);
  return { error, totals: { asset_count: assetCount }, warnings };
}

/**
 * Ends the job and sets READY — or ERROR when no asset could be described at all. A contact
 * sheet that could not be drawn is only a warning: it never makes the manifest ERROR.
 */
async function finish(
  ctx: StepContext,
  job: Job<ManifestJobParams>,
): Promise<{ error: string | null; assetCount: number; warnings: string[] }> {
  return await ctx.db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom("assets").select(["prompted_at", "prompt_error", "image_key"])
      .where("manifest_id", "=", ctx.manifestId).execute();
    const withImage = rows.filter((row) => row.image_key !== null);
    const failed = withImage.filter((row) => row.prompted_at === null && row.prompt_error);
    const error = withImage.length > 0 && failed.length === withImage.length
      ? `No asset could be described: ${failed[0].prompt_error}`
      : null;
    const ended = await finishJob(trx, job, error ? "failed" : "succeeded", error);
    if (!ended) {
      throw new JobInterruptedError(
        `Job ${ctx.jobId} was cancelled, or taken over after its lease expired.`,
      );
    }
    await trx.updateTable("manifests")
      .set({ status: error ? "ERROR" : "READY", error, updated_at: now() })
      .where("id", "=", ctx.manifestId).execute();
    await touchManifest(trx, ctx.manifestId);
    const { contact_sheet_error } = await trx.selectFrom("manifests").select("contact_sheet_error")
      .where("id", "=", ctx.manifestId).executeTakeFirstOrThrow();
    return {
      error,
      assetCount: rows.length,
      warnings: contact_sheet_error ? [contact_sheet_error] : [],
    };
  });
}

/** After the job failed: the manifest ends ERROR with the job's message. */
async function markManifestFailed(
  db: Db,
  job: Job<ManifestJobParams>,
  message: string,
): Promise<void> {
  await db.updateTable("manifests")
    .set({ status: "ERROR", error: message, updated_at: now() })
    .where("id", "=", job.params.manifest_id).where("status", "=", "PROCESSING").execute();
}

/** The definition of a manifest job kind: both kinds differ only in their name. */
function manifestJob<K extends JobKind>(kind: K): ManifestJobDefinition<K> {
  return Object.freeze<ManifestJobDefinition<K>>({
    kind,
    subject: "manifest",
    params: ManifestJobParams,
    serialKey: ({ params }) => params.manifest_id,
    steps: STEPS,
    emptyCounters,
    provider: (deps) => deps.provider.name,
    // The key is the manifest. Read from the row, not its params, so listing jobs never
    // depends on how old rows wrote them.
    manifestId: (job) => job.serial_key,
    run: runManifestJob,
    onFailed: markManifestFailed,
    onExhausted: markManifestFailed,
    async onCancelled(trx, job) {
      const previous = job.params.previous_status;
      await trx.updateTable("manifests").set({
        status: previous === "PROCESSING" ? "DRAFT" : previous,
        updated_at: now(),
      }).where("id", "=", job.params.manifest_id).where("status", "=", "PROCESSING").execute();
    },
    snapshot: manifestProgress,
  });
}

/** Processes a manifest's uploads: the job `POST /manifests/{id}/process` queues. */
export const processManifestJob: ManifestJobDefinition<"process_manifest"> = manifestJob(
  "process_manifest",
);

/** Reprocesses one asset (its target): the job `POST /assets/{id}/reprocess` queues. */
export const reprocessAssetJob: ManifestJobDefinition<"reprocess_asset"> = manifestJob(
  "reprocess_asset",
);
