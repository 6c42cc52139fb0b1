/**
 * A job's live progress: counters and step states kept in the job row (what polling reads)
 * and sent as frames (what WebSocket clients see), coalesced so a busy step sends at most a
 * few `progress` frames per second.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { EventHub } from "../events/event_hub.ts";
import type { Topic } from "../db/vocabulary.ts";
import { saveProgress, statusOf } from "./job_store.ts";

/** Where a step is. */
export interface StepState {
  state: "pending" | "started" | "finished";
  duration_ms: number | null;
}

/** What a job row's `progress` column holds, for a kind with steps `S` and counters `C`. */
export interface StoredProgress<S extends string, C extends object> {
  counters: C;
  steps: Record<S, StepState>;
  provider: string | null;
}

/**
 * The stored progress of a job row of a kind with `steps` and counters, tolerant of rows
 * written before the job started (and of counters added since the row was written).
 */
export function parseProgressOf<S extends string, C extends object>(
  json: string | null,
  steps: readonly S[],
  emptyCountersOf: () => C,
): StoredProgress<S, C> {
  const raw = json ? JSON.parse(json) : {};
  return {
    counters: { ...emptyCountersOf(), ...raw.counters },
    steps: Object.fromEntries(
      steps.map((step) => [step, raw.steps?.[step] ?? { state: "pending", duration_ms: null }]),
    ) as Record<S, StepState>,
    provider: raw.provider ?? null,
  };
}

/** Minimum time between two `progress` frames of one job. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * Asset frames stored in one transaction: enough to spare a large step a round trip per
 * frame, few enough that followers see a step's changes arrive as it goes.
 */
export const ASSET_FRAMES_PER_BATCH = 100;

/** An object whose every field is a number (an interface of counters qualifies). */
export type NumberRecord<C> = { [K in keyof C]: number };

/** How a {@linkcode ProgressReporter} is set up: the job, where it reports, its kind's shape. */
export interface ProgressOptions<S extends string, C extends NumberRecord<C>> {
  readonly db: Db;
  readonly hub: EventHub;
  readonly jobId: string;
  readonly topic: Topic;
  readonly provider: string | null;
  readonly steps: readonly S[];
  readonly emptyCounters: () => C;
  /**
   * The job's signal: once it aborts (cancelled or shutting down) nothing more is saved or
   * sent, so no frame follows the `done` of a cancel.
   */
  readonly signal?: AbortSignal;
}

/** Reports one job's progress: the steps `S` and counters `C` its kind defines. */
export class ProgressReporter<S extends string, C extends NumberRecord<C>> {
  readonly #db: Db;
  readonly #hub: EventHub;
  readonly #jobId: string;
  readonly #topic: Topic;
  readonly #state: StoredProgress<S, C>;
  readonly #signal: AbortSignal | undefined;
  #step: S | null = null;
  #stepStart = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastSent = 0;
  #dirty = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: ProgressOptions<S, C>) {
    this.#db = options.db;
    this.#hub = options.hub;
    this.#jobId = options.jobId;
    this.#topic = options.topic;
    this.#signal = options.signal;
    this.#state = {
      ...parseProgressOf(null, options.steps, options.emptyCounters),
      provider: options.provider,
    };
  }

  /** The counters as they are now. */
  get counters(): Readonly<C> {
    return this.#state.counters;
  }

  /** Changes counters; a frame follows within {@linkcode PROGRESS_INTERVAL_MS}. */
  update(change: Partial<C>): void {
    Object.assign(this.#state.counters, change);
    this.#dirty = true;
    if (this.#timer !== null) return;
    const wait = Math.max(0, this.#lastSent + PROGRESS_INTERVAL_MS - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, wait);
  }

  /** Adds `amount` to one counter. */
  add(counter: keyof C, amount = 1): void {
    this.update({ [counter]: this.#state.counters[counter] + amount } as unknown as Partial<C>);
  }

  /** Sends pending counter changes now. */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#flushing = this.#flushing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      this.#lastSent = performance.now();
      await this.#save();
      await this.#emit("progress", [{
        current_step: this.#step,
        progress: { ...this.#state.counters },
      }]);
    });
    return this.#flushing;
  }

  /** Marks `step` started. */
  async stepStarted(step: S): Promise<void> {
    await this.flush();
    this.#step = step;
    this.#stepStart = performance.now();
    this.#state.steps[step] = { state: "started", duration_ms: null };
    await this.#save();
    await this.#emit("step", [{ step, state: "started", duration_ms: null }]);
  }

  /** Marks the current step finished, after sending its last counters. */
  async stepFinished(step: S): Promise<void> {
    await this.flush();
    const duration = Math.round(performance.now() - this.#stepStart);
    this.#state.steps[step] = { state: "finished", duration_ms: duration };
    await this.#save();
    await this.#emit("step", [{ step, state: "finished", duration_ms: duration }]);
  }

  /** Sends an `asset` frame (an asset was created or changed). */
  async asset(asset: Record<string, unknown>, change: "created" | "updated"): Promise<void> {
    await this.assets([asset], change);
  }

  /**
   * Sends an `asset` frame for each of `assets`, stored {@linkcode ASSET_FRAMES_PER_BATCH}
   * at a time (one transaction each): what a step uses when it creates or changes many at
   * once.
   */
  async assets(
    assets: readonly Record<string, unknown>[],
    change: "created" | "updated",
  ): Promise<void> {
    for (let start = 0; start < assets.length; start += ASSET_FRAMES_PER_BATCH) {
      const batch = assets.slice(start, start + ASSET_FRAMES_PER_BATCH);
      await this.#emit("asset", batch.map((asset) => ({ change, asset })));
    }
  }

  /** Stops the coalescing timer (the job ended). */
  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #save(): Promise<void> {
    if (this.#signal?.aborted) return;
    await saveProgress(this.#db, this.#jobId, this.#step, this.#state);
  }

  async #emit(type: "progress" | "step" | "asset", payloads: readonly Record<string, unknown>[]) {
    if (this.#signal?.aborted) return;
    const jobId = this.#jobId;
    await this.#hub.emitMany({
      topic: this.#topic,
      type,
      jobId,
      payloads,
      // A cancel made on another instance reaches this one a moment later: a frame that
      // races it is dropped rather than sent after the cancel's `done`. (A job that
      // succeeded still sends the frames that close its last step.)
      stillCurrent: async (db) => (await statusOf(db, jobId)) !== "cancelled",
    });
  }
}
