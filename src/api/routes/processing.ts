/**
 * Processing routes: start, follow and cancel jobs, reprocess one asset, and the
 * contact sheet the pipeline makes.
 *
 * @module
 */
import { Hono } from "hono";
import type { z } from "zod";
import type { JobRow } from "../../db/tables.ts";
import { AppError } from "../../errors.ts";
import type { JobStatus } from "../../db/vocabulary.ts";
import { cancelJob } from "../../jobs/cancel_job.ts";
import type { JobKinds } from "../../jobs/job_kinds.ts";
import { getJob, listJobs, statusOf } from "../../jobs/job_store.ts";
import { type ProcessingDeps, startProcessing, startReprocess } from "../../pipeline/processing.ts";
import { manifestProgress } from "../../pipeline/progress.ts";
import { getAsset } from "../../registry/assets.ts";
import { getManifest } from "../../registry/manifests.ts";
import { assetToJson } from "../../registry/serialize.ts";
import type { BlobStore } from "../../storage/blob_store.ts";
import { type Job, JobListQuery } from "../schemas.ts";
import { validate } from "../validate.ts";
import { imageResponse } from "./image_response.ts";

/** What the processing routes need. */
export interface ProcessingRouteDeps extends ProcessingDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobKinds;
  /** How long `POST /assets/{id}/reprocess` waits before answering 202 instead of 200. */
  readonly reprocessWaitMs?: number;
}

/** The API form of a job row; its kind's definition says which manifest it is about. */
export function jobToJson(row: JobRow, jobs: JobKinds): z.infer<typeof Job> {
  return {
    id: row.id,
    kind: row.kind,
    target_id: row.target_id,
    manifest_id: jobs.of(row.kind).manifestId(row),
    status: row.status,
    current_step: row.current_step,
    progress: JSON.parse(row.progress || "{}"),
    error: row.error,
    attempts: row.attempts,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
  };
}

/** `/manifests/{id}/process|progress|contact-sheet`, `/assets/{id}/reprocess`, `/jobs…`. */
export function processingRoutes(deps: ProcessingRouteDeps): Hono {
  const app = new Hono();

  app.post("/manifests/:id/process", async (c) => {
    const job = await startProcessing(deps, c.req.param("id"));
    return c.json({ task_id: job.id, job_id: job.id, status: "started" as const }, 202);
  });

  app.get("/manifests/:id/progress", async (c) => {
    return c.json(await manifestProgress(deps.db, c.req.param("id")));
  });

  app.get("/manifests/:id/contact-sheet", async (c) => {
    const manifest = await getManifest(deps.db, c.req.param("id"));
    const bytes = manifest.contact_sheet_key
      ? await deps.blobs.get(manifest.contact_sheet_key)
      : null;
    if (!bytes) {
      throw new AppError(
        "not_found",
        `Manifest ${manifest.id} has no contact sheet yet: process it with ` +
          `POST /api/manifests/${manifest.id}/process.`,
        { code: "contact_sheet_not_found" },
      );
    }
    return imageResponse(c, bytes, "image/jpeg", manifest.contact_sheet_key!.split("/").pop()!);
  });

  app.post("/assets/:id/reprocess", async (c) => {
    const job = await startReprocess(deps, c.req.param("id"));
    const status = await waitForJob(deps, job, deps.reprocessWaitMs ?? 60_000);
    if (status === "queued" || status === "running") {
      return c.json({ job_id: job.id, status }, 202);
    }
    if (status !== "succeeded") {
      const ended = await getJob(deps.db, job.id);
      throw new AppError(
        "conflict",
        `Reprocessing asset ${job.target_id} ended ${status}: ${
          ended.error ?? "see job " + job.id
        }.`,
        { code: "reprocess_failed", details: { job_id: job.id, status } },
      );
    }
    return c.json(assetToJson(await getAsset(deps.db, job.target_id)));
  });

  app.get("/jobs", validate("query", JobListQuery), async (c) => {
    const query = c.req.valid("query");
    const rows = await listJobs(deps.db, query);
    return c.json({ items: rows.map((row) => jobToJson(row, deps.jobs)) });
  });

  app.get(
    "/jobs/:id",
    async (c) => c.json(jobToJson(await getJob(deps.db, c.req.param("id")), deps.jobs)),
  );

  app.post("/jobs/:id/cancel", async (c) => {
    return c.json(jobToJson(await cancelJob(deps, c.req.param("id")), deps.jobs));
  });

  return app;
}

/** Waits until a job ends or `timeoutMs` passes; returns its status then. */
async function waitForJob(
  deps: ProcessingRouteDeps,
  job: JobRow,
  timeoutMs: number,
): Promise<JobStatus | undefined> {
  const { promise, resolve } = Promise.withResolvers<void>();
  const stop = deps.hub.subscribe(deps.jobs.of(job.kind).topic(job), (frame) => {
    if (frame.type === "done" && frame.job_id === job.id) resolve();
  });
  const timer = setTimeout(resolve, timeoutMs);
  try {
    // It may have ended between the enqueue and the subscription.
    const status = await statusOf(deps.db, job.id);
    if (status === "queued" || status === "running") await promise;
    return await statusOf(deps.db, job.id);
  } finally {
    clearTimeout(timer);
    stop();
  }
}
