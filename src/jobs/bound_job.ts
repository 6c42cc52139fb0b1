/**
 * A job definition bound to the services it runs with, every hook taking a plain job row:
 * the form the runner, cancel and the registry use without knowing a kind's params, steps
 * or counters. Every `done` frame of every kind is sent from here, so a job of any kind
 * ends the same way on the wire: complete or error after its run, error after a failure,
 * cancelled after a cancel.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Database, JobRow } from "../db/tables.ts";
import type { JobKind, Topic } from "../db/vocabulary.ts";
import type { JobControl } from "./job_control.ts";
import {
  type Job,
  type JobDefinition,
  type JobServices,
  type JobSubject,
  topicOf,
} from "./job_definition.ts";
import { progressOf } from "./job_store.ts";
import { type NumberRecord, parseProgressOf, ProgressReporter } from "./progress.ts";

/** A definition bound to its services (see {@linkcode bindJob}). */
export interface BoundJob {
  readonly kind: JobKind;
  readonly subject: JobSubject;
  /** The topic of a job's frames. */
  topic(row: JobRow): Topic;
  /** The manifest a job is about, or null. */
  manifestId(row: JobRow): string | null;
  /** Runs a claimed job with a fresh progress reporter; sends its `done`. */
  run(row: JobRow, control: JobControl): Promise<void>;
  /** After the run threw and the job was marked failed: the subject, then `done`. */
  failed(row: JobRow, message: string): Promise<void>;
  /** After the job was marked failed for being interrupted too often: the same. */
  exhausted(row: JobRow, message: string): Promise<void>;
  /** Inside the transaction that marked the job cancelled: the subject goes back. */
  cancel(trx: Transaction<Database>, row: JobRow): Promise<void>;
  /** After that transaction committed: the `done` that says so. */
  cancelled(row: JobRow): Promise<void>;
  /** The progress view of the subject `id`. */
  snapshot(id: string): Promise<Record<string, unknown>>;
}

/** Binds `definition` to `deps`, the services its run needs. */
export function bindJob<
  K extends JobKind,
  P,
  S extends string,
  C extends NumberRecord<C>,
  D extends JobServices,
>(definition: JobDefinition<K, P, S, C, D>, deps: D): BoundJob {
  const topic = (row: JobRow): Topic => topicOf(definition.subject, row.serial_key);
  const parse = (row: JobRow): Job<P> => ({
    ...row,
    params: definition.params.parse(JSON.parse(row.params)),
  });
  const emptyCounters = (): C => definition.emptyCounters();
  const storedCounters = (json: string | null): C =>
    parseProgressOf(json, definition.steps, emptyCounters).counters;
  const sendDone = async (
    row: JobRow,
    outcome: {
      status: "complete" | "error" | "cancelled";
      error: string | null;
      totals: object;
      warnings?: readonly string[];
    },
  ): Promise<void> => {
    await deps.hub.emitDone(topic(row), row.id, outcome);
  };
  const sendFailed = async (row: JobRow, message: string): Promise<void> => {
    // What the job had done, as it last saved it: the run's reporter is gone.
    const totals = storedCounters(await progressOf(deps.db, row.id));
    await sendDone(row, { status: "error", error: message, totals });
  };

  return Object.freeze({
    kind: definition.kind,
    subject: definition.subject,
    topic,
    manifestId: (row: JobRow) => definition.manifestId(row),

    async run(row: JobRow, control: JobControl): Promise<void> {
      const job = parse(row);
      const progress = new ProgressReporter<S, C>({
        db: deps.db,
        hub: deps.hub,
        jobId: row.id,
        topic: topic(row),
        provider: definition.provider(deps),
        steps: definition.steps,
        emptyCounters,
        signal: control.signal,
      });
      try {
        const outcome = await definition.run(job, control, progress, deps);
        await progress.flush();
        await sendDone(row, {
          status: outcome.error ? "error" : "complete",
          error: outcome.error,
          totals: { ...progress.counters, ...outcome.totals },
          ...(outcome.warnings && outcome.warnings.length > 0 && { warnings: outcome.warnings }),
        });
      } finally {
        progress.dispose();
      }
    },

    async failed(row: JobRow, message: string): Promise<void> {
      await definition.onFailed(deps.db, parse(row), message);
      await sendFailed(row, message);
    },

    async exhausted(row: JobRow, message: string): Promise<void> {
      await definition.onExhausted(deps.db, parse(row), message);
      await sendFailed(row, message);
    },

    cancel: (trx: Transaction<Database>, row: JobRow) => definition.onCancelled(trx, parse(row)),

    async cancelled(row: JobRow): Promise<void> {
      await sendDone(row, {
        status: "cancelled",
        error: null,
        totals: storedCounters(row.progress),
      });
    },

    snapshot: (id: string) => definition.snapshot(deps.db, id),
  });
}
