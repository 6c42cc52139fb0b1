/**
 * A fixed-size pool of Deno Workers that run CPU-heavy work off the request thread.
 *
 * Each worker holds one task at a time: its engines are single-threaded WASM, so queueing
 * in the pool is fairer than queueing inside a worker. A worker that crashes fails only the
 * task it held and is replaced.
 *
 * The pool knows no operation: it is typed by the ops map of the worker module it starts
 * (see {@linkcode OpsMap}), so `run` accepts only that map's op names and payloads and
 * returns its result types.
 *
 * @module
 */
import { log } from "../log.ts";
import {
  deserializeError,
  type OpName,
  type OpsMap,
  type PoolMessage,
  type TaskMessage,
  type WorkerMessage,
} from "./protocol.ts";

/** How a pool is built. */
export interface WorkerPoolOptions {
  /** Number of workers. */
  readonly size: number;
  /** The worker's module; it must serve the ops map the pool is typed with. */
  readonly script: URL;
  /** Used in worker names and logs. */
  readonly name?: string;
  /** Data every worker receives at start (engine settings, limits). */
  readonly init?: unknown;
}

interface PendingTask {
  readonly id: number;
  readonly op: string;
  readonly payload: unknown;
  readonly transfer: Transferable[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  isReady: boolean;
  busy: PendingTask | null;
}

/** Raised for a task whose worker died while running it. */
export class WorkerCrashedError extends Error {
  override name = "WorkerCrashedError";
}

/** A pool of workers with a shared FIFO queue, typed by the workers' ops map. */
export class WorkerPool<Ops extends OpsMap<Ops>> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: PendingTask[] = [];
  #nextId = 1;
  #closed = false;
  #engines: readonly string[] = [];
  #completed = 0;
  #crashes = 0;
  #started = false;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: WorkerPoolOptions) {
    if (options.size < 1) throw new Error("A worker pool needs at least one worker.");
    this.#options = Object.freeze({ ...options });
    for (let i = 0; i < options.size; i++) this.#slots.push(this.#spawn(i));
    // From here on a worker that fails to start is a replacement, retried in the background.
    Promise.allSettled(this.#slots.map((slot) => slot.ready)).then(() => this.#started = true);
  }

  /** Resolves when every worker has loaded its engines; rejects if one could not. */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.ready));
  }

  /** Numbers for `/readyz` and the benchmark. */
  stats(): {
    size: number;
    busy: number;
    queued: number;
    completed: number;
    crashes: number;
    engines: readonly string[];
  } {
    return {
      size: this.#slots.length,
      busy: this.#slots.filter((slot) => slot.busy).length,
      queued: this.#queue.length,
      completed: this.#completed,
      crashes: this.#crashes,
      engines: this.#engines,
    };
  }

  /**
   * Runs `op` on the next free worker.
   *
   * @param transfer Buffers moved (not copied) to the worker; they are unusable afterwards.
   */
  run<Op extends OpName<Ops>>(
    op: Op,
    payload: Ops[Op]["payload"],
    transfer: Transferable[] = [],
  ): Promise<Ops[Op]["result"]> {
    if (this.#closed) return Promise.reject(new Error("The worker pool is closed."));
    return new Promise<Ops[Op]["result"]>((resolve, reject) => {
      this.#queue.push({
        id: this.#nextId++,
        op,
        payload,
        transfer,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#dispatch();
    });
  }

  /** Stops every worker; queued and running tasks are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new Error("The worker pool was closed before the task ran.");
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#rejectQueue(reason);
    for (const slot of this.#slots) {
      slot.busy?.reject(reason);
      slot.busy = null;
      slot.worker.terminate();
    }
  }

  #spawn(index: number, attempt = 0): Slot {
    const name = `${this.#options.name ?? "worker"}-${index}`;
    const worker = new Worker(this.#options.script, { type: "module", name });
    const { promise: ready, resolve: markReady, reject: failReady } = Promise.withResolvers<void>();
    const slot: Slot = { worker, ready, isReady: false, busy: null };
    // Avoid an unhandled rejection when nobody awaits ready() (e.g. a replacement worker).
    slot.ready.catch(() => {});

    const replace = (nextAttempt: number) => {
      if (this.#closed) return;
      const position = this.#slots.indexOf(slot);
      if (position >= 0) this.#slots[position] = this.#spawn(index, nextAttempt);
    };
    const startFailed = (error: Error) => {
      worker.terminate();
      failReady(error);
      // The first workers report through ready(); a replacement retries with backoff, and
      // while no worker runs, queued tasks fail with the reason instead of waiting forever.
      if (!this.#started) return;
      log.error("A worker failed to start; retrying.", { worker: name, error, attempt });
      if (!this.#slots.some((other) => other.isReady)) this.#rejectQueue(error);
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        replace(attempt + 1);
      }, delay);
      this.#timers.add(timer);
    };
    const failBusy = (error: Error) => {
      const task = slot.busy;
      slot.busy = null;
      task?.reject(error);
    };

    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.type === "ready") {
        if (!message.ok) return startFailed(deserializeError(message.error));
        slot.isReady = true;
        this.#engines = message.engines;
        markReady();
        this.#dispatch();
        return;
      }
      const task = slot.busy;
      if (!task || task.id !== message.id) return;
      slot.busy = null;
      this.#completed++;
      if (message.ok) task.resolve(message.result);
      else task.reject(deserializeError(message.error));
      this.#dispatch();
    };

    worker.onmessageerror = () => {
      failBusy(new Error("A worker's result could not be received (it was not transferable)."));
      this.#dispatch();
    };

    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#crashes++;
      const crashed = slot.busy;
      failBusy(
        new WorkerCrashedError(`The worker running ${crashed?.op} crashed: ${event.message}`),
      );
      if (!slot.isReady) {
        return startFailed(new Error(`Worker ${name} failed to start: ${event.message}`));
      }
      log.error("Worker crashed; replacing it.", { worker: name, error: event.message });
      worker.terminate();
      replace(0);
    };

    const init: PoolMessage = { type: "init", init: this.#options.init ?? null };
    worker.postMessage(init);
    return slot;
  }

  #rejectQueue(error: Error): void {
    for (const task of this.#queue.splice(0)) task.reject(error);
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.busy) continue;
      // A slot counts as free only once its worker has said it is ready.
      if (!slot.isReady) continue;
      const task = this.#queue.shift()!;
      slot.busy = task;
      const message: TaskMessage = {
        type: "task",
        id: task.id,
        op: task.op,
        payload: task.payload,
      };
      try {
        slot.worker.postMessage(message, task.transfer);
      } catch (error) {
        slot.busy = null;
        task.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
