/**
 * The progress view of a subject (a manifest, a project): its newest job's state, step
 * states and counters, and the subject's own status. Polling endpoints return it and the
 * WebSocket sends it as the `snapshot` frame, so both read the same object.
 *
 * @module
 */
import type { JobRow } from "../db/tables.ts";
import type { JobStatus } from "../db/vocabulary.ts";
import type { StepState, StoredProgress } from "./progress.ts";

/** How a subject's progress reads: its newest job's status, or `not_started`. */
export type ProgressStatus =
  | "not_started"
  | "queued"
  | "processing"
  | "complete"
  | "error"
  | "cancelled";

/** How a job's status reads in progress views (`progress.status`). */
export const PROGRESS_STATUS: Readonly<Record<JobStatus, Exclude<ProgressStatus, "not_started">>> =
  Object.freeze({
    queued: "queued",
    running: "processing",
    succeeded: "complete",
    failed: "error",
    cancelled: "cancelled",
  });

/**
 * A progress view: the newest job's fields around the subject's own (`V`, e.g.
 * `{ manifest_status }`), which come right after `job_id`.
 */
export type ProgressSnapshot<S extends string, C extends object, V extends object> =
  & {
    status: ProgressStatus;
    job_id: string | null;
  }
  & V
  & {
    current_step: string | null;
    progress: C;
    steps: Record<S, StepState>;
    provider: string | null;
    error: string | null;
    started_at: string | null;
    finished_at: string | null;
  };

/**
 * The progress view of a subject whose newest job is `job` (undefined when it never had
 * one), `stored` being that job's parsed progress. `error` is the job's error, else what
 * the subject itself says went wrong.
 */
export function progressSnapshot<S extends string, C extends object, V extends object>(
  job: JobRow | undefined,
  stored: StoredProgress<S, C>,
  subject: V,
  subjectError: string | null,
): ProgressSnapshot<S, C, V> {
  return {
    status: job ? PROGRESS_STATUS[job.status] : "not_started",
    job_id: job?.id ?? null,
    ...subject,
    current_step: job?.current_step ?? null,
    progress: { ...stored.counters },
    steps: stored.steps,
    provider: stored.provider,
    error: job?.error ?? subjectError,
    started_at: job?.started_at ?? null,
    finished_at: job?.finished_at ?? null,
  };
}
