/**
 * A kind of job, defined once: what its params are, what it is serialised on and reports
 * on, its steps and counters, how it runs, and what its subject becomes when it fails, is
 * cancelled or was interrupted too often. The runner, cancel, the jobs API and the
 * WebSocket snapshot go through a definition and never ask which kind a job is.
 *
 * Definitions live with their domain (the manifest pipeline, storyboards), which imports
 * this folder; this folder imports no domain.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { z } from "zod";
import type { Db } from "../db/database.ts";
import type { Database, JobRow } from "../db/tables.ts";
import type { JobKind, Topic } from "../db/vocabulary.ts";
import type { EventHub } from "../events/event_hub.ts";
import type { JobControl } from "./job_control.ts";
import type { JobKey } from "./job_store.ts";
import type { NumberRecord, ProgressReporter } from "./progress.ts";

type SubjectOf<T> = T extends `${infer S}:${string}` ? S : never;

/** What a job reports on: the part of its topic before the colon (`manifest`, `project`). */
export type JobSubject = SubjectOf<Topic>;

/** The topic of the frames about one subject, e.g. `manifest:{id}`. */
export function topicOf(subject: JobSubject, id: string): Topic {
  return `${subject}:${id}`;
}

/** A job row whose `params` its definition has parsed. */
export type Job<P> = Omit<JobRow, "params"> & { readonly params: P };

/** What every kind's run needs besides its own services: where progress goes. */
export interface JobServices {
  readonly db: Db;
  readonly hub: EventHub;
}

/** How a run ended. The run already ended the job, with the state it leaves behind. */
export interface JobOutcome {
  /** Null when the job succeeded; else why it ended failed (its `done` says `error`). */
  readonly error: string | null;
  /** What the `done` frame reports besides the counters (e.g. `asset_count`). */
  readonly totals: Readonly<Record<string, number>>;
  /**
   * What went wrong without failing the job (e.g. a contact sheet that could not be drawn),
   * each a sentence for a person; the `done` frame carries them as `warnings` when there are.
   */
  readonly warnings?: readonly string[];
}

/**
 * One kind of job. `K` is its kind, `P` its params, `S` its steps, `C` its counters and `D`
 * the services its run needs (given once, when the service binds its definitions).
 *
 * A job is serialised on, and reports on, one subject: jobs with one `serial_key` never
 * run at once, and the job's frames go to the topic `{subject}:{serial_key}`.
 */
export interface JobDefinition<
  K extends JobKind,
  P,
  S extends string,
  C extends NumberRecord<C>,
  D extends JobServices,
> extends JobKey<K, P> {
  /** What its topic is about; its `serial_key` is that subject's id. */
  readonly subject: JobSubject;
  /** Parses the `params` column (written by `enqueueJob` from a `P`). */
  readonly params: z.ZodType<P>;
  /** Its steps, in order, with their names on the wire. */
  readonly steps: readonly S[];
  /** Its counters before it starts. */
  emptyCounters(): C;
  /** What does the work, as progress views name it (e.g. `gemini`), or null. */
  provider(deps: D): string | null;
  /** The manifest a job is about, as the jobs API reports it, or null. */
  manifestId(job: JobRow): string | null;
  /**
   * Does the job's work, reporting on `progress`, and ends it (with `finishJob`, in the
   * transaction that stores what it made). Throwing fails the job with the error's message;
   * {@linkcode JobControl.checkpoint} throws when it must stop.
   */
  run(
    job: Job<P>,
    control: JobControl,
    progress: ProgressReporter<S, C>,
    deps: D,
  ): Promise<JobOutcome>;
  /** After its run threw and the job was marked failed: what its subject becomes. */
  onFailed(db: Db, job: Job<P>, message: string): Promise<void>;
  /**
   * After the job was found running at start once too often (the service kept stopping
   * while it ran) and was marked failed: what its subject becomes.
   */
  onExhausted(db: Db, job: Job<P>, message: string): Promise<void>;
  /**
   * Inside the transaction that marks the job cancelled: what its subject goes back to
   * (e.g. the status it had before the job was queued).
   */
  onCancelled(trx: Transaction<Database>, job: Job<P>): Promise<void>;
  /**
   * The progress view of the subject `id`: what its progress endpoint returns and the
   * WebSocket `snapshot` frame carries. Throws a not-found `AppError` for an unknown id.
   */
  snapshot(db: Db, id: string): Promise<Record<string, unknown>>;
}
