/**
 * Processing routes: start, follow and cancel jobs, reprocess one asset, and the contact
 * sheet the pipeline makes.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
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
import {
  contactSheetPageToJson,
  listContactSheetPages,
  readContactSheetPage,
} from "../../registry/contact_sheets.ts";
import { assetToJson } from "../../registry/serialize.ts";
import type { BlobStore } from "../../storage/blob_store.ts";
import {
  Asset,
  ContactSheetPageList,
  ContactSheetQuery,
  IdParam,
  Job,
  JobList,
  JobListQuery,
  ProcessStarted,
  Progress,
  ReprocessQueued,
} from "../schemas.ts";
import {
  errors,
  failure,
  image,
  json,
  NOT_MODIFIED,
  type RouteGroup,
  routeGroup,
} from "../openapi.ts";
import { imageResponse } from "./image_response.ts";

const start = createRoute({
  method: "post",
  path: "/manifests/{id}/process",
  operationId: "startProcessing",
  tags: ["processing"],
  summary: "Start processing: contact sheet, detection, face matching, prompts, tags",
  description: "Answers at once; follow the job with `getManifestProgress` or the WebSocket.",
  request: { params: IdParam },
  responses: {
    202: json(ProcessStarted, "The job is queued and the manifest is PROCESSING"),
    ...errors(401, 404, 409, 422),
  },
});

const progress = createRoute({
  method: "get",
  path: "/manifests/{id}/progress",
  operationId: "getManifestProgress",
  tags: ["processing"],
  summary: "Progress of the manifest's newest job (also the WebSocket snapshot)",
  request: { params: IdParam },
  responses: { 200: json(Progress, "Where the newest job is"), ...errors(401, 404) },
});

const contactSheet = createRoute({
  method: "get",
  path: "/manifests/{id}/contact-sheet",
  operationId: "getContactSheet",
  tags: ["processing"],
  summary: "A page of the contact sheet (JPEG); page 1 without `page`",
  description: "Every asset with an image, numbered across pages of at most " +
    "CONTACT_SHEET_PAGE_SIZE cells; `listContactSheets` says which cells each page holds.",
  request: { params: IdParam, query: ContactSheetQuery },
  responses: {
    200: image("The page: 4 columns of numbered, labelled thumbnails"),
    304: NOT_MODIFIED,
    401: failure(
      "The access token is missing or wrong (only when the server runs with AUTH_TOKEN)",
    ),
    404: failure(
      "No such manifest, no sheet yet (`contact_sheet_not_found`), or no such page " +
        "(`contact_sheet_page_not_found`, `details.pages` says how many there are)",
    ),
    422: failure("`page` is not a whole number ≥ 1"),
  },
});

const contactSheets = createRoute({
  method: "get",
  path: "/manifests/{id}/contact-sheets",
  operationId: "listContactSheets",
  tags: ["processing"],
  summary: "The pages of the contact sheet, with the cells each holds",
  request: { params: IdParam },
  responses: {
    200: json(ContactSheetPageList, "Every page, in order (none before the first run)"),
    ...errors(401, 404),
  },
});

const reprocess = createRoute({
  method: "post",
  path: "/assets/{id}/reprocess",
  operationId: "reprocessAsset",
  tags: ["processing"],
  summary: "Re-run detection, embedding and reverse prompting for one asset",
  description: "Waits for the job up to a minute: 200 with the asset when it ended in time, " +
    "202 with the job otherwise.",
  request: { params: IdParam },
  responses: {
    200: json(Asset, "The reprocessed asset"),
    202: json(ReprocessQueued, "Still running: follow the job"),
    ...errors(401, 404, 409, 422),
  },
});

const jobs = createRoute({
  method: "get",
  path: "/jobs",
  operationId: "listJobs",
  tags: ["processing"],
  summary: "Jobs, newest first",
  request: { query: JobListQuery },
  responses: { 200: json(JobList, "The jobs that match"), ...errors(401, 422) },
});

const job = createRoute({
  method: "get",
  path: "/jobs/{id}",
  operationId: "getJob",
  tags: ["processing"],
  summary: "A job",
  request: { params: IdParam },
  responses: { 200: json(Job, "The job"), ...errors(401, 404) },
});

const cancel = createRoute({
  method: "post",
  path: "/jobs/{id}/cancel",
  operationId: "cancelJob",
  tags: ["processing"],
  summary: "Cancel a queued or running job; its manifest returns to its previous status",
  request: { params: IdParam },
  responses: { 200: json(Job, "The cancelled job"), ...errors(401, 404, 409) },
});

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

/**
 * `/manifests/{id}/process|progress|contact-sheet|contact-sheets`, `/assets/{id}/reprocess`,
 * `/jobs…`.
 */
export function processingRoutes(deps: ProcessingRouteDeps): RouteGroup {
  const app = routeGroup();

  app.openapi(start, async (c) => {
    const job = await startProcessing(deps, c.req.valid("param").id);
    return c.json({ task_id: job.id, job_id: job.id, status: "started" as const }, 202);
  });

  app.openapi(progress, async (c) => {
    const view = await manifestProgress(deps.db, c.req.valid("param").id);
    return c.json(view, 200);
  });

  app.openapi(contactSheet, async (c) => {
    const { id } = c.req.valid("param");
    const { bytes, etag } = await readContactSheetPage(deps, id, c.req.valid("query").page);
    return imageResponse(c, bytes, "image/jpeg", etag);
  });

  app.openapi(contactSheets, async (c) => {
    const rows = await listContactSheetPages(deps.db, c.req.valid("param").id);
    return c.json({ items: rows.map(contactSheetPageToJson) }, 200);
  });

  app.openapi(reprocess, async (c) => {
    const job = await startReprocess(deps, c.req.valid("param").id);
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
    return c.json(assetToJson(await getAsset(deps.db, job.target_id)), 200);
  });

  app.openapi(jobs, async (c) => {
    const rows = await listJobs(deps.db, c.req.valid("query"));
    return c.json({ items: rows.map((row) => jobToJson(row, deps.jobs)) }, 200);
  });

  app.openapi(job, async (c) => {
    return c.json(jobToJson(await getJob(deps.db, c.req.valid("param").id), deps.jobs), 200);
  });

  app.openapi(cancel, async (c) => {
    return c.json(jobToJson(await cancelJob(deps, c.req.valid("param").id), deps.jobs), 200);
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
  // follow (not subscribe) resolves once frames are flowing, which with several instances
  // takes a read: a status read after it cannot miss the `done`.
  const following = await deps.hub.follow([deps.jobs.of(job.kind).topic(job)], null, (frame) => {
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
    following.close();
  }
}
