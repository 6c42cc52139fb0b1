/**
 * Durable jobs in SQLite: enqueue, claim, record progress, finish, cancel, and recover the
 * jobs a dead process left running.
 *
 * @module
 */
import { sql, type Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, JobRow } from "../db/tables.ts";
import { notFound } from "../errors.ts";
import type { JobKind, JobStatus } from "../db/vocabulary.ts";
import { now } from "../db/timestamp.ts";
import { isUuid } from "../db/uuid.ts";

/** A job that is still to run or running. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "running"];

/** How a job's status reads in progress views (SPEC §4 `progress.status`). */
export const PROGRESS_STATUS: Readonly<Record<JobStatus, string>> = Object.freeze({
  queued: "queued",
  running: "processing",
  succeeded: "complete",
  failed: "error",
  cancelled: "cancelled",
});

/** How often a job may be started before a crash loop is declared a failure. */
export const MAX_ATTEMPTS = 3;

/** Creates a queued job (call inside the transaction that changes its target's state). */
export async function enqueueJob(
  trx: Db,
  job: { kind: JobKind; targetId: string; params?: Record<string, unknown> },
): Promise<JobRow> {
  return await trx.insertInto("jobs").values({
    id: crypto.randomUUID(),
    kind: job.kind,
    target_id: job.targetId,
    params: JSON.stringify(job.params ?? {}),
    created_at: now(),
  }).returningAll().executeTakeFirstOrThrow();
}

/** The job `id`, or a 404. */
export async function getJob(db: Db, id: string): Promise<JobRow> {
  const row = isUuid(id)
    ? await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst()
    : undefined;
  if (!row) throw notFound("Job", id);
  return row;
}

/** Jobs, newest first, optionally of one status, kind or target. */
export async function listJobs(
  db: Db,
  filter: { status?: JobStatus; kind?: JobKind; targetId?: string; limit?: number } = {},
): Promise<JobRow[]> {
  let query = db.selectFrom("jobs").selectAll();
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.kind) query = query.where("kind", "=", filter.kind);
  if (filter.targetId) query = query.where("target_id", "=", filter.targetId);
  return await query.orderBy("created_at", "desc").orderBy("id", "desc")
    .limit(filter.limit ?? 100).execute();
}

/** The newest job of `kind` for `targetId`, if any. */
export async function latestJobFor(
  db: Db,
  kind: JobKind,
  targetId: string,
): Promise<JobRow | undefined> {
  return await db.selectFrom("jobs").selectAll()
    .where("kind", "=", kind).where("target_id", "=", targetId)
    .orderBy("created_at", "desc").orderBy("id", "desc").executeTakeFirst();
}

/** The key that serialises jobs: two jobs on one manifest never run at once. */
export const jobKey = sql<string>`coalesce(json_extract(params, '$.manifest_id'), target_id)`;

/**
 * Takes the oldest queued job for `owner`, marking it running; undefined when none. Jobs
 * whose key is in `busyKeys` are passed over (their manifest is still being worked on).
 */
export async function claimNextJob(
  db: Db,
  owner: string,
  busyKeys: readonly string[] = [],
): Promise<JobRow | undefined> {
  return await db.transaction().execute(async (trx) => {
    let query = trx.selectFrom("jobs").select("id").where("status", "=", "queued");
    if (busyKeys.length > 0) query = query.where(jobKey, "not in", [...busyKeys]);
    const next = await query.orderBy("created_at").orderBy("id").executeTakeFirst();
    if (!next) return undefined;
    const at = now();
    return await trx.updateTable("jobs").set((eb) => ({
      status: "running",
      attempts: eb("attempts", "+", 1),
      lease_owner: owner,
      started_at: eb.fn.coalesce("started_at", eb.val(at)),
    })).where("id", "=", next.id).where("status", "=", "queued")
      .returningAll().executeTakeFirst();
  });
}

/** Records a running job's step and counters (what `GET …/progress` reads). */
export async function saveProgress(
  db: Db,
  id: string,
  step: string | null,
  progress: object,
): Promise<void> {
  await db.updateTable("jobs").set({ current_step: step, progress: JSON.stringify(progress) })
    .where("id", "=", id).execute();
}

/**
 * Ends a running job. Returns false when it was no longer running (cancelled meanwhile),
 * in which case nothing is changed.
 */
export async function finishJob(
  trx: Db,
  id: string,
  status: "succeeded" | "failed",
  error: string | null = null,
): Promise<boolean> {
  const result = await trx.updateTable("jobs")
    .set({ status, error, finished_at: now(), lease_owner: null })
    .where("id", "=", id).where("status", "=", "running").executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks a queued or running job cancelled; returns the row, or null if it had ended. */
export async function markCancelled(
  trx: Transaction<Database>,
  id: string,
): Promise<JobRow | null> {
  const row = await trx.updateTable("jobs")
    .set({ status: "cancelled", finished_at: now(), lease_owner: null })
    .where("id", "=", id).where("status", "in", [...ACTIVE_STATUSES])
    .returningAll().executeTakeFirst();
  return row ?? null;
}

/** The current status of a job (cheap; checked between units of work). */
export async function statusOf(db: Db, id: string): Promise<JobStatus | undefined> {
  const row = await db.selectFrom("jobs").select("status").where("id", "=", id)
    .executeTakeFirst();
  return row?.status;
}

/**
 * Puts back in the queue the jobs a previous process left running (it died: the service is
 * the only process on its database). Jobs that already used their attempts are returned
 * separately so their targets can be marked failed.
 */
export async function recoverInterruptedJobs(
  db: Db,
): Promise<{ requeued: JobRow[]; exhausted: JobRow[] }> {
  return await db.transaction().execute(async (trx) => {
    const running = await trx.selectFrom("jobs").selectAll().where("status", "=", "running")
      .execute();
    const requeued = running.filter((job) => job.attempts < MAX_ATTEMPTS);
    const exhausted = running.filter((job) => job.attempts >= MAX_ATTEMPTS);
    if (requeued.length > 0) {
      await trx.updateTable("jobs").set({ status: "queued", lease_owner: null })
        .where("id", "in", requeued.map((job) => job.id)).execute();
    }
    for (const job of exhausted) {
      await trx.updateTable("jobs").set({
        status: "failed",
        finished_at: now(),
        lease_owner: null,
        error: `The job was interrupted ${job.attempts} times (the service stopped while it ` +
          "ran): start it again once the service runs steadily.",
      }).where("id", "=", job.id).execute();
    }
    return { requeued, exhausted };
  });
}

/** A job's `params` as an object. */
export function paramsOf(job: JobRow): Record<string, unknown> {
  return JSON.parse(job.params || "{}");
}

/** The key of {@linkcode jobKey} for a job row. */
export function keyOf(job: JobRow): string {
  const manifestId = paramsOf(job).manifest_id;
  return typeof manifestId === "string" ? manifestId : job.target_id;
}

/** The newest job about a manifest (processing it, or reprocessing one of its assets). */
export async function latestManifestJob(
  db: Db,
  manifestId: string,
): Promise<JobRow | undefined> {
  return await db.selectFrom("jobs").selectAll().where(jobKey, "=", manifestId)
    .where("kind", "in", ["process_manifest", "reprocess_asset"])
    .orderBy("created_at", "desc").orderBy("id", "desc").executeTakeFirst();
}
