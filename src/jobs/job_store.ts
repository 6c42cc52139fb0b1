/**
 * Durable jobs: enqueue, claim under a lease, renew and release leases, record progress,
 * finish, cancel, and give back the jobs a dead process left running. SQL on the `jobs`
 * table only: what a kind of job means is its definition's business. The same queries run
 * on SQLite and PostgreSQL; the row locks and the clock they need come from the dialect
 * module.
 *
 * @module
 */
import { getById } from "../db/get_by_id.ts";
import type { ExpressionBuilder, Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import {
  isoTimestamp,
  notify,
  rowLockingTransaction,
  skipLocked,
  tryLockKey,
} from "../db/dialect.ts";
import type { Database, JobRow } from "../db/tables.ts";
import type { JobKind, JobStatus } from "../db/vocabulary.ts";
import { now } from "../db/timestamp.ts";

/** A job that is still to run or running. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["queued", "running"];

/** How often a job may be started before a crash loop is declared a failure. */
export const MAX_ATTEMPTS = 3;

/** How long a claim holds a job without being renewed, unless configured otherwise. */
export const DEFAULT_LEASE_SECONDS = 30;

/**
 * The notification channel of jobs: `queued` (work to claim), `free` (a key was released)
 * and `cancel <id>` (stop that job wherever it runs).
 */
export const JOBS_CHANNEL = "manifest_studio_jobs";

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
  const row = await trx.insertInto("jobs").values({
    id: crypto.randomUUID(),
    kind: kind.kind,
    target_id: job.targetId,
    serial_key: kind.serialKey(job),
    params: JSON.stringify(job.params),
    created_at: now(),
  }).returningAll().executeTakeFirstOrThrow();
  // Sent at commit: an instance with a free slot claims it even if this one is busy.
  await notify(trx, JOBS_CHANNEL, "queued");
  return row;
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
 * Whether a job of the outer query's key (`j.serial_key`) is being worked on: running, or
 * cancelled but still winding down on the instance that holds its lease.
 */
function keyHeld(db: Db, eb: ExpressionBuilder<Database & { j: JobRow }, "j">) {
  return eb.exists(
    eb.selectFrom("jobs as held").select("held.id")
      .whereRef("held.serial_key", "=", "j.serial_key")
      .where((h) =>
        h.or([
          h("held.status", "=", "running"),
          h.and([
            h("held.lease_owner", "is not", null),
            h("held.lease_expires_at", ">", isoTimestamp(db)),
          ]),
        ])
      ),
  );
}

/**
 * Takes the oldest queued job for `owner`, marking it running under a lease of
 * `leaseSeconds`; undefined when none. A job is passed over while another job of its
 * `serial_key` is held anywhere (any instance), and when its key is in `busyKeys` (held in
 * this process). Several instances may claim at once: the candidate row is locked with
 * SKIP LOCKED (another claimer takes the next one instead of waiting), and the key is
 * locked and checked again before the job is taken, so two jobs of one key never start
 * together. A claim never waits for another.
 */
export async function claimNextJob(
  db: Db,
  owner: string,
  busyKeys: readonly string[] = [],
  leaseSeconds: number = DEFAULT_LEASE_SECONDS,
): Promise<JobRow | undefined> {
  return await rowLockingTransaction(db).execute(async (trx) => {
    const passed = new Set(busyKeys);
    while (true) {
      let query = trx.selectFrom("jobs as j").select(["j.id", "j.serial_key"])
        .where("j.status", "=", "queued")
        .where((eb) => eb.not(keyHeld(trx, eb)));
      if (passed.size > 0) query = query.where("j.serial_key", "not in", [...passed]);
      const next = await skipLocked(trx, query.orderBy("j.created_at").orderBy("j.id").limit(1))
        .executeTakeFirst();
      if (!next) return undefined;
      // Another instance may have taken a job of this key after the select's snapshot. Lock
      // the key, then look again with what has committed. A key another claim holds right now
      // is passed over instead of waited for: that claim either takes a job of the key (which
      // then is busy) or finds it busy; and a claim that never waits cannot deadlock.
      const free = await tryLockKey(trx, "serialKey", next.serial_key) &&
        !await trx.selectFrom("jobs as j").select("j.id")
          .where("j.id", "=", next.id).where((eb) => keyHeld(trx, eb)).executeTakeFirst();
      if (!free) {
        passed.add(next.serial_key);
        continue;
      }
      const at = now();
      return await trx.updateTable("jobs").set((eb) => ({
        status: "running",
        attempts: eb("attempts", "+", 1),
        lease_owner: owner,
        lease_expires_at: isoTimestamp(trx, leaseSeconds),
        started_at: eb.fn.coalesce("started_at", eb.val(at)),
      })).where("id", "=", next.id).where("status", "=", "queued")
        .returningAll().executeTakeFirst();
    }
  });
}

/**
 * Extends the leases `owner` holds on `ids` by `leaseSeconds` from now. Returns the status
 * of each job whose lease it still held; a job missing from the answer was taken from it
 * (its lease had expired and another instance requeued it).
 */
export async function renewLeases(
  db: Db,
  owner: string,
  ids: readonly string[],
  leaseSeconds: number,
): Promise<{ id: string; status: JobStatus }[]> {
  if (ids.length === 0) return [];
  return await db.updateTable("jobs").set({ lease_expires_at: isoTimestamp(db, leaseSeconds) })
    .where("id", "in", [...ids]).where("lease_owner", "=", owner)
    .returning(["id", "status"]).execute();
}

/** Lets go of `owner`'s lease on a job whose run ended (its key is free again). */
export async function releaseLease(db: Db, id: string, owner: string): Promise<void> {
  await db.updateTable("jobs").set({ lease_owner: null, lease_expires_at: null })
    .where("id", "=", id).where("lease_owner", "=", owner).execute();
  await notify(db, JOBS_CHANNEL, "free");
}

/**
 * Puts the running jobs `owner` holds back in the queue (a graceful stop of one of several
 * instances: another one goes on with them now rather than when the lease expires).
 */
export async function handBackJobs(
  db: Db,
  owner: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable("jobs").set({ status: "queued", lease_owner: null, lease_expires_at: null })
    .where("id", "in", [...ids]).where("lease_owner", "=", owner).where("status", "=", "running")
    .execute();
  await db.updateTable("jobs").set({ lease_owner: null, lease_expires_at: null })
    .where("id", "in", [...ids]).where("lease_owner", "=", owner).execute();
  await notify(db, JOBS_CHANNEL, "queued");
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
 * Ends a running job as claimed in `job` (its id and the lease its claim took). Returns
 * false when it was no longer running under that lease — cancelled meanwhile, or taken
 * over by another instance after the lease expired — in which case nothing is changed.
 */
export async function finishJob(
  trx: Db,
  job: Pick<JobRow, "id" | "lease_owner">,
  status: "succeeded" | "failed",
  error: string | null = null,
): Promise<boolean> {
  let query = trx.updateTable("jobs")
    .set({ status, error, finished_at: now(), lease_owner: null, lease_expires_at: null })
    .where("id", "=", job.id).where("status", "=", "running");
  if (job.lease_owner !== null) query = query.where("lease_owner", "=", job.lease_owner);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Marks a queued or running job cancelled and tells every instance (the one running it
 * stops it); returns the row, or null if it had ended. A running job keeps its lease until
 * the instance running it has stopped it, so no other job of its key starts before.
 */
export async function markCancelled(
  trx: Transaction<Database>,
  id: string,
): Promise<JobRow | null> {
  const row = await trx.updateTable("jobs")
    .set({ status: "cancelled", finished_at: now() })
    .where("id", "=", id).where("status", "in", [...ACTIVE_STATUSES])
    .returningAll().executeTakeFirst();
  if (row) await notify(trx, JOBS_CHANNEL, `cancel ${id}`);
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
 * Puts back in the queue the jobs a previous process left running (it died: with SQLite
 * the service is the only process on its database, so every running job is orphaned).
 * Jobs that already used their attempts are marked failed and returned as they are now,
 * so their targets can be marked failed too.
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
          error: interruptedMessage(job.attempts),
        }).where("id", "=", job.id).returningAll().executeTakeFirstOrThrow(),
      );
    }
    // Leases of cancelled jobs whose run the dead process never wound down.
    await trx.updateTable("jobs").set({ lease_owner: null, lease_expires_at: null })
      .where("lease_owner", "is not", null).execute();
    return { requeued, exhausted };
  });
}

/**
 * Gives back the jobs whose lease expired: the instance running them died or stopped
 * answering (with several instances, this replaces the requeue at start). Any instance may
 * call it at any time; each expired job is taken by one caller only. Jobs that already
 * used their attempts are marked failed and returned as they are now.
 */
export async function requeueExpiredJobs(
  db: Db,
): Promise<{ requeued: JobRow[]; exhausted: JobRow[] }> {
  // A running job without a lease has no instance to renew it either.
  const expired = (eb: ExpressionBuilder<Database, "jobs">) =>
    eb.and([
      eb("status", "=", "running"),
      eb.or([eb("lease_expires_at", "<", isoTimestamp(db)), eb("lease_expires_at", "is", null)]),
    ]);
  const requeued = await db.updateTable("jobs")
    .set({ status: "queued", lease_owner: null, lease_expires_at: null })
    .where(expired).where("attempts", "<", MAX_ATTEMPTS)
    .returningAll().execute();
  const exhausted = await db.updateTable("jobs")
    .set({
      status: "failed",
      finished_at: now(),
      lease_owner: null,
      lease_expires_at: null,
      error: interruptedMessage(MAX_ATTEMPTS),
    })
    .where(expired).where("attempts", ">=", MAX_ATTEMPTS)
    .returningAll().execute();
  // A cancelled job's lease whose holder died: its key is free.
  await db.updateTable("jobs").set({ lease_owner: null, lease_expires_at: null })
    .where("status", "!=", "running").where("lease_owner", "is not", null)
    .where("lease_expires_at", "<", isoTimestamp(db)).execute();
  if (requeued.length > 0) await notify(db, JOBS_CHANNEL, "queued");
  return { requeued, exhausted };
}

function interruptedMessage(attempts: number): string {
  return `The job was interrupted ${attempts} times (the service stopped while it ran): ` +
    "start it again once the service runs steadily.";
}
