/**
 * Durable jobs in SQLite: enqueue, claim, record progress, finish, cancel, and recover the
 * jobs a dead process left running. SQL on the `jobs` table only: what a kind of job means
 * is its definition's business.
 *
 * @module
 */
import { getById } from "../db/get_by_id.ts";
import type { Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import type { Database, JobRow } from "../db/tables.ts";
import type { JobKind, JobStatus } from "../db/vocabulary.ts";
import { now } from "../db/timestamp.ts";

/** A job that is still to run or running. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "running"];

/** How often a job may be started before a crash loop is declared a failure. */
export const MAX_ATTEMPTS = 3;

/**
 * What queueing a job needs to know of its kind: its name and the key that serialises it.
 * Every job definition is one.
 */
export interface JobKey<K extends JobKind, P> {
  readonly kind: K;
  /** The `serial_key` of a job of this kind on `targetId` with `params`. */
  serialKey(job: { readonly targetId: string; readonly params: P }): string;
}

/**
 * Creates a queued job of `kind`, keyed as its kind says (call inside the transaction that
 * changes its target's state).
 */
export async function enqueueJob<K extends JobKind, P>(
  trx: Db,
  kind: JobKey<K, P>,
  job: { targetId: string; params: P },
): Promise<JobRow> {
  return await trx.insertInto("jobs").values({
    id: crypto.randomUUID(),
    kind: kind.kind,
    target_id: job.targetId,
    serial_key: kind.serialKey(job),
    params: JSON.stringify(job.params),
    created_at: now(),
  }).returningAll().executeTakeFirstOrThrow();
}

/** The job `id`, or a 404. */
export function getJob(db: Db, id: string): Promise<JobRow> {
  return getById(db, "jobs", "Job", id);
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

/**
 * The newest job on `serialKey` (the newest about a manifest, a project…), if any;
 * `active` keeps only a queued or running one.
 */
export async function latestJobFor(
  db: Db,
  serialKey: string,
  filter: { active?: boolean } = {},
): Promise<JobRow | undefined> {
  let query = db.selectFrom("jobs").selectAll().where("serial_key", "=", serialKey);
  if (filter.active) query = query.where("status", "in", [...ACTIVE_STATUSES]);
  return await query.orderBy("created_at", "desc").orderBy("id", "desc").executeTakeFirst();
}

/**
 * Takes the oldest queued job for `owner`, marking it running; undefined when none. Jobs
 * whose `serial_key` is in `busyKeys` are passed over (their subject is still worked on).
 */
export async function claimNextJob(
  db: Db,
  owner: string,
  busyKeys: readonly string[] = [],
): Promise<JobRow | undefined> {
  return await db.transaction().execute(async (trx) => {
    let query = trx.selectFrom("jobs").select("id").where("status", "=", "queued");
    if (busyKeys.length > 0) query = query.where("serial_key", "not in", [...busyKeys]);
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

/** Records a running job's step and counters (what progress views read). */
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

/** The `progress` column of a job (what a failed job had done), or null if it is gone. */
export async function progressOf(db: Db, id: string): Promise<string | null> {
  const row = await db.selectFrom("jobs").select("progress").where("id", "=", id)
    .executeTakeFirst();
  return row?.progress ?? null;
}

/** The current status of a job (cheap; checked between units of work). */
export async function statusOf(db: Db, id: string): Promise<JobStatus | undefined> {
  const row = await db.selectFrom("jobs").select("status").where("id", "=", id)
    .executeTakeFirst();
  return row?.status;
}

/**
 * Puts back in the queue the jobs a previous process left running (it died: the service is
 * the only process on its database). Jobs that already used their attempts are marked
 * failed and returned as they are now, so their targets can be marked failed too.
 */
export async function recoverInterruptedJobs(
  db: Db,
): Promise<{ requeued: JobRow[]; exhausted: JobRow[] }> {
  return await db.transaction().execute(async (trx) => {
    const running = await trx.selectFrom("jobs").selectAll().where("status", "=", "running")
      .execute();
    const requeued = running.filter((job) => job.attempts < MAX_ATTEMPTS);
    if (requeued.length > 0) {
      await trx.updateTable("jobs").set({ status: "queued", lease_owner: null })
        .where("id", "in", requeued.map((job) => job.id)).execute();
    }
    const exhausted: JobRow[] = [];
    for (const job of running.filter((job) => job.attempts >= MAX_ATTEMPTS)) {
      exhausted.push(
        await trx.updateTable("jobs").set({
          status: "failed",
          finished_at: now(),
          lease_owner: null,
          error: `The job was interrupted ${job.attempts} times (the service stopped while it ` +
            "ran): start it again once the service runs steadily.",
        }).where("id", "=", job.id).returningAll().executeTakeFirstOrThrow(),
      );
    }
    return { requeued, exhausted };
  });
}
