/**
 * Cancelling a job of any kind: it is marked cancelled and its subject goes back, in one
 * transaction; then it stops at its next checkpoint and subscribers get `done`. Work
 * already done is kept; a later run finishes it.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { JobRow } from "../db/tables.ts";
import { conflict } from "../errors.ts";
import type { JobKinds } from "./job_kinds.ts";
import type { JobRunner } from "./job_runner.ts";
import { getJob, markCancelled } from "./job_store.ts";

/** What cancelling needs. */
export interface CancelDeps {
  readonly db: Db;
  readonly runner: Pick<JobRunner, "interrupt">;
  readonly jobs: JobKinds;
}

/** Cancels a queued or running job; a 409 when it already ended, a 404 when it never was. */
export async function cancelJob(deps: CancelDeps, jobId: string): Promise<JobRow> {
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
    await deps.jobs.of(row.kind).cancel(trx, row);
    return row;
  });
  deps.runner.interrupt(jobId);
  await deps.jobs.of(cancelled.kind).cancelled(cancelled);
  return cancelled;
}
