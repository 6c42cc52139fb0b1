/**
 * Runs queued jobs in the background with bounded concurrency. Jobs are claimed from
 * SQLite, so a job enqueued before a crash is still run after the restart.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { JobRow } from "../db/tables.ts";
import { log } from "../log.ts";
import { type JobControl, JobInterruptedError } from "./job_control.ts";
import type { JobKinds } from "./job_kinds.ts";
import { claimNextJob, finishJob, recoverInterruptedJobs, statusOf } from "./job_store.ts";

/** How a runner is set up. */
export interface JobRunnerOptions {
  /** Jobs run at once. */
  readonly concurrency: number;
}

/** A background job runner over the `jobs` table. */
export class JobRunner {
  readonly #db: Db;
  readonly #jobs: JobKinds;
  readonly #options: JobRunnerOptions;
  readonly #owner = crypto.randomUUID();
  readonly #running = new Map<
    string,
    { controller: AbortController; done: Promise<void>; key: string }
  >();
  #pumping = false;
  #again = false;
  #stopped = false;

  /** A runner of the kinds `jobs` defines (a job of another kind fails when claimed). */
  constructor(db: Db, jobs: JobKinds, options: JobRunnerOptions) {
    this.#db = db;
    this.#jobs = jobs;
    this.#options = Object.freeze({ ...options });
  }

  /** Requeues jobs a dead process left running, then starts taking jobs. */
  async start(): Promise<void> {
    const { requeued, exhausted } = await recoverInterruptedJobs(this.#db);
    if (requeued.length > 0) {
      log.info("Resuming interrupted jobs.", { jobs: requeued.map((job) => job.id) });
    }
    for (const job of exhausted) {
      try {
        await this.#jobs.of(job.kind).exhausted(job, job.error ?? "The job was interrupted.");
      } catch (error) {
        log.error("Could not record a job's failure.", { job: job.id, error });
      }
    }
    this.wake();
  }

  /** Looks for queued work now (call after enqueueing). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#pump().finally(() => {
      this.#pumping = false;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Stops a running job at its next checkpoint (its row was already marked cancelled). */
  interrupt(jobId: string): void {
    this.#running.get(jobId)?.controller.abort();
  }

  /** Jobs running in this process right now. */
  runningCount(): number {
    return this.#running.size;
  }

  /** Stops taking jobs, interrupts running ones and waits for them to reach a checkpoint. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const { controller } of this.#running.values()) controller.abort();
    await Promise.allSettled([...this.#running.values()].map((entry) => entry.done));
  }

  async #pump(): Promise<void> {
    while (!this.#stopped && this.#running.size < this.#options.concurrency) {
      const busy = [...this.#running.values()].map((entry) => entry.key);
      const job = await claimNextJob(this.#db, this.#owner, busy).catch((error) => {
        log.error("Could not claim a job.", { error });
        return undefined;
      });
      if (!job) return;
      const controller = new AbortController();
      const done = this.#run(job, controller).finally(() => {
        this.#running.delete(job.id);
        this.wake();
      });
      this.#running.set(job.id, { controller, done, key: job.serial_key });
    }
  }

  async #run(job: JobRow, controller: AbortController): Promise<void> {
    const control: JobControl = {
      signal: controller.signal,
      checkpoint: async () => {
        if (!controller.signal.aborted && (await statusOf(this.#db, job.id)) !== "running") {
          controller.abort();
        }
        if (controller.signal.aborted) {
          throw new JobInterruptedError(`Job ${job.id} was interrupted.`);
        }
      },
    };
    try {
      await this.#jobs.of(job.kind).run(job, control);
    } catch (error) {
      if (error instanceof JobInterruptedError || controller.signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      log.error("A job failed.", { job: job.id, kind: job.kind, error });
      try {
        if (await finishJob(this.#db, job.id, "failed", message) && this.#jobs.has(job.kind)) {
          await this.#jobs.of(job.kind).failed(job, message);
        }
      } catch (inner) {
        log.error("Could not record a job's failure.", { job: job.id, error: inner });
      }
    }
  }
}
