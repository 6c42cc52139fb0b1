/**
 * The registry of job definitions the service runs with, built once at start. The runner,
 * cancel, the jobs API and the WebSocket snapshot look a job's definition up here by its
 * row's kind, or a topic's by its subject.
 *
 * @module
 */
import type { JobKind, Topic } from "../db/vocabulary.ts";
import { AppError } from "../errors.ts";
import type { BoundJob } from "./bound_job.ts";

/** The definitions of the kinds of job a service runs. */
export class JobKinds {
  readonly #byKind: ReadonlyMap<JobKind, BoundJob>;

  constructor(jobs: readonly BoundJob[]) {
    const byKind = new Map<JobKind, BoundJob>();
    for (const job of jobs) {
      if (byKind.has(job.kind)) throw new Error(`Job kind ${job.kind} is defined twice.`);
      byKind.set(job.kind, job);
    }
    this.#byKind = byKind;
  }

  /** The kinds defined, in the order given. */
  get kinds(): JobKind[] {
    return [...this.#byKind.keys()];
  }

  /** The definition of `kind`; throws for a kind this service does not define. */
  of(kind: JobKind): BoundJob {
    const job = this.#byKind.get(kind);
    if (!job) {
      throw new Error(
        `Jobs of kind ${kind} have no definition in this service: it cannot run, fail or ` +
          "cancel them.",
      );
    }
    return job;
  }

  /** Whether `kind` has a definition. */
  has(kind: JobKind): boolean {
    return this.#byKind.has(kind);
  }

  /**
   * What a WebSocket subscriber to `topic` is told first: the progress view its subject's
   * endpoint returns, or null for a topic that names nothing.
   */
  async snapshot(topic: Topic): Promise<Record<string, unknown> | null> {
    const colon = topic.indexOf(":");
    const subject = topic.slice(0, colon);
    // The kinds reporting on one subject share its progress view: any of them answers.
    const job = [...this.#byKind.values()].find((job) => job.subject === subject);
    if (!job) return null;
    try {
      return await job.snapshot(topic.slice(colon + 1));
    } catch (error) {
      if (error instanceof AppError && error.kind === "not_found") return null;
      throw error;
    }
  }
}

/** The registry of `jobs` (each a definition bound with `bindJob`); a kind may appear once. */
export function defineJobs(jobs: readonly BoundJob[]): JobKinds {
  return new JobKinds(jobs);
}
