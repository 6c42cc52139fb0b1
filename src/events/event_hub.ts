/**
 * One door for progress frames: a frame is persisted (global `seq`) and then published,
 * strictly in `seq` order, and a follower gets the frames it missed followed by live ones
 * with no gap and no duplicate.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { EventBus, type FrameListener } from "./event_bus.ts";
import { appendFrame, framesSince, type NewFrame, pruneFrames } from "./event_log.ts";
import type { Frame } from "./frames.ts";
import type { Topic } from "../db/vocabulary.ts";

/** How many frames of each topic are kept for replay (older ones are pruned). */
export const DEFAULT_RETENTION_PER_TOPIC = 5_000;

/** A follower's handle. */
export interface Following {
  /** Stops delivery. */
  close(): void;
  /** The highest `seq` delivered so far (or the `since` it started from). */
  readonly lastSeq: number;
}

/** Persists and fans out frames. */
export class EventHub {
  readonly #db: Db;
  readonly #bus = new EventBus();
  readonly #retention: number;
  #chain: Promise<unknown> = Promise.resolve();
  #sincePrune = 0;
  /** Topics written since the last pruning: only they can have grown past the retention. */
  #written = new Set<Topic>();

  constructor(db: Db, options: { retentionPerTopic?: number } = {}) {
    this.#db = db;
    this.#retention = options.retentionPerTopic ?? DEFAULT_RETENTION_PER_TOPIC;
  }

  /**
   * Says a job ended: a `done` frame with its status, error, totals and, when there are,
   * warnings (docs/websocket.md).
   */
  emitDone(
    topic: Topic,
    jobId: string,
    outcome: {
      status: "complete" | "error" | "cancelled";
      error: string | null;
      totals: object;
      warnings?: readonly string[];
    },
  ): Promise<Frame> {
    return this.emit({ topic, type: "done", jobId, payload: { ...outcome } });
  }

  /**
   * Records `frame` and delivers it to the topic's listeners. Emits are serialised, so
   * listeners see `seq` strictly increasing even when many jobs emit at once.
   */
  emit(frame: NewFrame): Promise<Frame> {
    const next = this.#chain.then(async () => {
      const stored = await appendFrame(this.#db, frame);
      this.#bus.publish(stored);
      this.#written.add(frame.topic);
      if (++this.#sincePrune >= 500) {
        this.#sincePrune = 0;
        const topics = [...this.#written];
        this.#written.clear();
        await pruneFrames(this.#db, this.#retention, topics);
      }
      return stored;
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Live frames of `topic` only (no replay). Returns the function that stops it. */
  subscribe(topic: Topic, listener: FrameListener): () => void {
    return this.#bus.subscribe(topic, listener);
  }

  /** How many live listeners a topic has. */
  listenerCount(topic: Topic): number {
    return this.#bus.listenerCount(topic);
  }

  /**
   * Delivers every stored frame of `topics` with `seq > since`, then live frames, each
   * exactly once and in order. `since: null` skips the replay (live only).
   */
  async follow(
    topics: readonly Topic[],
    since: number | null,
    deliver: FrameListener,
  ): Promise<Following> {
    let last = since ?? 0;
    let replaying = true;
    const buffered: Frame[] = [];
    const forward = (frame: Frame) => {
      if (replaying) buffered.push(frame);
      else if (frame.seq > last) {
        last = frame.seq;
        deliver(frame);
      }
    };
    const stops = topics.map((topic) => this.#bus.subscribe(topic, forward));
    try {
      // Wait for emits already under way, so the replay sees everything published before.
      await this.#chain;
      if (since !== null) {
        for (const frame of await framesSince(this.#db, topics, since)) {
          if (frame.seq > last) {
            last = frame.seq;
            deliver(frame);
          }
        }
      }
      for (const frame of buffered.sort((a, b) => a.seq - b.seq)) {
        if (since === null || frame.seq > last) {
          last = Math.max(last, frame.seq);
          deliver(frame);
        }
      }
    } catch (error) {
      stops.forEach((stop) => stop());
      throw error;
    } finally {
      replaying = false;
    }
    return {
      close: () => stops.forEach((stop) => stop()),
      get lastSeq() {
        return last;
      },
    };
  }
}
