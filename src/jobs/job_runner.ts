/**
 * Runs queued jobs in the background with bounded concurrency. Jobs are claimed from the
 * database under a lease, so a job enqueued before a crash is still run after it.
 *
 * Alone on its database (SQLite) the runner is the only process: at start it requeues
 * every job left running. Sharing it with other instances (PostgreSQL) it cannot tell a
 * dead instance's job from a live one's that way; instead every running job's lease is
 * renewed by a heartbeat, and any instance requeues the jobs whose lease expired. Cancels
 * and newly queued work reach every instance as notifications, with the heartbeat's
 * status read as the fallback.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { Notifications } from "../db/dialect.ts";
import type { JobRow } from "../db/tables.ts";
import { log } from "../log.ts";
import { type JobControl, JobInterruptedError } from "./job_control.ts";
import type { JobKinds } from "./job_kinds.ts";
import {
  claimNextJob,
  DEFAULT_LEASE_SECONDS,
  finishJob,
  handBackJobs,
  JOBS_CHANNEL,
  recoverInterruptedJobs,
  releaseLease,
  renewLeases,
  requeueExpiredJobs,
  statusOf,
} from "./job_store.ts";

/** How a runner is set up. */
export interface JobRunnerOptions {
  /** Jobs run at once. */
  readonly concurrency: number;
  /**
   * How long a claim holds a job without renewal (default 30 s). With `shared`, a job
   * whose instance died is taken over this long after its last heartbeat, and the
   * heartbeat runs every third of it.
   */
  readonly leaseSeconds?: number;
  /**
   * Set when other instances share the database: how they tell each other about cancels
   * and queued work. Without it the runner assumes it is alone on the database.
   */
  readonly shared?: Notifications | null;
}

interface Running {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly key: string;
}

/** A background job runner over the `jobs` table. */
export class JobRunner {
  readonly #db: Db;
  readonly #jobs: JobKinds;
  readonly #concurrency: number;
  readonly #leaseSeconds: number;
  readonly #shared: Notifications | null;
  readonly #owner = crypto.randomUUID();
  readonly #running = new Map<string, Running>();
  readonly #unsubscribe: (() => void)[] = [];
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #ticking = false;
  #pumping = false;
  #again = false;
  #stopped = false;

  /** A runner of the kinds `jobs` defines (a job of another kind fails when claimed). */
  constructor(db: Db, jobs: JobKinds, options: JobRunnerOptions) {
    this.#db = db;
    this.#jobs = jobs;
    this.#concurrency = options.concurrency;
    this.#leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    this.#shared = options.shared ?? null;
  }

  /** This runner's id: the `lease_owner` of the jobs it runs. */
  get owner(): string {
    return this.#owner;
  }

  /**
   * Alone: requeues jobs a dead process left running. Shared: listens for cancels and
   * queued work and starts the heartbeat. Then starts taking jobs.
   */
  async start(): Promise<void> {
    if (this.#shared) {
      this.#unsubscribe.push(
        await this.#shared.listen(JOBS_CHANNEL, (payload) => this.#onNotification(payload)),
        // Notifications sent while the connection was down are lost: read the state instead.
        this.#shared.onReconnect(() => void this.#tick()),
      );
      // Every third of a lease, so two missed beats still leave it held.
      this.#heartbeat = setInterval(
        () => void this.#tick(),
        Math.max(100, (this.#leaseSeconds * 1000) / 3),
      );
      await this.#reapExpired();
    } else {
      const { requeued, exhausted } = await recoverInterruptedJobs(this.#db);
      if (requeued.length > 0) {
        log.info("Resuming interrupted jobs.", { jobs: requeued.map((job) => job.id) });
      }
      await this.#fail(exhausted);
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

  /**
   * Stops taking jobs, interrupts running ones and waits for them to reach a checkpoint.
   * Alone, they stay running in the database and resume at the next start; shared, they
   * are handed back to the queue at once, for another instance to go on with.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    this.#unsubscribe.splice(0).forEach((stop) => stop());
    for (const { controller } of this.#running.values()) controller.abort();
    await Promise.allSettled([...this.#running.values()].map((entry) => entry.done));
  }

  #onNotification(payload: string): void {
    if (payload.startsWith("cancel ")) this.interrupt(payload.slice("cancel ".length));
    else this.wake();
  }

  /**
   * The heartbeat: renews the leases of this instance's jobs (stopping those cancelled or
   * taken over meanwhile), gives back jobs whose lease expired anywhere, and looks for
   * work a missed notification would have announced.
   */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      const ids = [...this.#running.keys()];
      const held = await renewLeases(this.#db, this.#owner, ids, this.#leaseSeconds);
      const status = new Map(held.map((row) => [row.id, row.status]));
      for (const id of ids) {
        if (status.get(id) === "running") continue;
        if (!status.has(id)) {
          log.warn("A job's lease was taken over by another instance; stopping it here.", {
            job: id,
          });
        }
        this.interrupt(id);
      }
      await this.#reapExpired();
    } catch (error) {
      log.warn("The job heartbeat failed; retrying at the next beat.", { error });
    } finally {
      this.#ticking = false;
    }
    this.wake();
  }

  async #reapExpired(): Promise<void> {
    const { requeued, exhausted } = await requeueExpiredJobs(this.#db);
    if (requeued.length > 0) {
      log.info("Taking over jobs whose instance stopped answering.", {
        jobs: requeued.map((job) => job.id),
      });
    }
    await this.#fail(exhausted);
  }

  /** Jobs interrupted too often: their definition decides what their subject becomes. */
  async #fail(exhausted: readonly JobRow[]): Promise<void> {
    for (const job of exhausted) {
      try {
        await this.#jobs.of(job.kind).exhausted(job, job.error ?? "The job was interrupted.");
      } catch (error) {
        log.error("Could not record a job's failure.", { job: job.id, error });
      }
    }
  }

  async #pump(): Promise<void> {
    while (!this.#stopped && this.#running.size < this.#concurrency) {
      const busy = [...this.#running.values()].map((entry) => entry.key);
      const job = await claimNextJob(this.#db, this.#owner, busy, this.#leaseSeconds)
        .catch((error) => {
          log.error("Could not claim a job.", { error });
          return undefined;
        });
      if (!job) return;
      const controller = new AbortController();
      const done = this.#run(job, controller).finally(async () => {
        // Until now the job's key stayed held (a cancelled job winds down first). A job
        // stopped by a shutdown goes back to the queue for another instance.
        const letGo = this.#stopped && this.#shared
          ? handBackJobs(this.#db, this.#owner, [job.id])
          : releaseLease(this.#db, job.id, this.#owner);
        await letGo.catch((error) => {
          log.warn("Could not release a job's lease; it will expire.", { job: job.id, error });
        });
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
      interruptible: <T>(work: Promise<T>) =>
        new Promise<T>((resolve, reject) => {
          const signal = controller.signal;
          const stop = () => reject(new JobInterruptedError(`Job ${job.id} was interrupted.`));
          if (signal.aborted) stop();
          signal.addEventListener("abort", stop, { once: true });
          work.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
        }),
    };
    try {
      await this.#jobs.of(job.kind).run(job, control);
    } catch (error) {
      if (error instanceof JobInterruptedError || controller.signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      log.error("A job failed.", { job: job.id, kind: job.kind, error });
      try {
        if (await finishJob(this.#db, job, "failed", message) && this.#jobs.has(job.kind)) {
          await this.#jobs.of(job.kind).failed(job, message);
        }
      } catch (inner) {
        log.error("Could not record a job's failure.", { job: job.id, error: inner });
      }
    }
  }
}
