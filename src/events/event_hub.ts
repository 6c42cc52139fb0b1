/**
 * One door for progress frames: a frame is persisted (global `seq`) and then published to
 * the topic's listeners in `seq` order, and a follower gets the frames it missed followed
 * by live ones with no gap and no duplicate.
 *
 * Alone on its database (SQLite), the hub publishes each frame as it stores it; emits are
 * serialised, so every listener sees `seq` strictly increasing.
 *
 * Shared with other instances (PostgreSQL), frames of a topic may be written by any of
 * them. Each topic that has listeners here gets a {@linkcode TopicFeed}: a cursor (the
 * highest `seq` of the topic delivered here) and a queue that reads `seq > cursor` from the
 * `events` table whenever a notification says the topic has something new. Frames of one
 * topic commit in `seq` order (see `recordFrame`), so reading past the cursor can neither
 * skip a frame nor deliver one twice, although frames of different topics, written by
 * concurrent transactions, commit out of `seq` order. A lost notification connection is
 * made up for by reading every feed again once it is back.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { Notifications } from "../db/dialect.ts";
import { log } from "../log.ts";
import { EventBus, type FrameListener } from "./event_bus.ts";
import {
  appendFrames,
  EVENTS_CHANNEL,
  framesOf,
  framesSince,
  lastSeqOf,
  type NewFrame,
  type NewFrames,
  pruneFrames,
  recordFrames,
} from "./event_log.ts";
import type { Frame } from "./frames.ts";
import type { Topic } from "../db/vocabulary.ts";

/** How many frames of each topic are kept for replay (older ones are pruned). */
export const DEFAULT_RETENTION_PER_TOPIC = 5_000;

/** Frames read per query when a feed catches up. */
const READ_BATCH = 1_000;

/** A follower's handle. */
export interface Following {
  /** Stops delivery. */
  close(): void;
  /** The highest `seq` delivered so far (or the `since` it started from), over its topics. */
  readonly lastSeq: number;
}

/** How a hub is set up. */
export interface EventHubOptions {
  /** Frames kept per topic (default {@linkcode DEFAULT_RETENTION_PER_TOPIC}). */
  readonly retentionPerTopic?: number;
  /**
   * Set when other instances write frames to the same database: the notifications that
   * say a topic has new frames. Call {@linkcode EventHub.start} before emitting.
   */
  readonly shared?: Notifications | null;
}

/** Persists and fans out frames. */
export class EventHub {
  readonly #db: Db;
  readonly #bus = new EventBus();
  readonly #retention: number;
  readonly #shared: Notifications | null;
  /** Who this hub is in notifications: its own frames it delivers without reading them. */
  readonly #origin = crypto.randomUUID();
  readonly #feeds = new Map<Topic, TopicFeed>();
  /** Shared: the last emit under way per topic. */
  readonly #topicTails = new Map<Topic, Promise<unknown>>();
  readonly #unsubscribe: (() => void)[] = [];
  #chain: Promise<unknown> = Promise.resolve();
  #sincePrune = 0;
  /** Topics written since the last pruning: only they can have grown past the retention. */
  #written = new Set<Topic>();

  constructor(db: Db, options: EventHubOptions = {}) {
    this.#db = db;
    this.#retention = options.retentionPerTopic ?? DEFAULT_RETENTION_PER_TOPIC;
    this.#shared = options.shared ?? null;
  }

  /** Shared: listens for other instances' frames (a no-op alone). */
  async start(): Promise<void> {
    if (!this.#shared) return;
    this.#unsubscribe.push(
      await this.#shared.listen(EVENTS_CHANNEL, (payload) => this.#onNotification(payload)),
      this.#shared.onReconnect(() => {
        for (const feed of this.#feeds.values()) void feed.catchUp();
      }),
    );
  }

  /** Stops listening to other instances. */
  stop(): void {
    this.#unsubscribe.splice(0).forEach((stop) => stop());
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
  ): Promise<Frame | null> {
    return this.emit({ topic, type: "done", jobId, payload: { ...outcome } });
  }

  /**
   * Records `frame` and delivers it to the topic's listeners (here and, shared, on every
   * instance). Alone, emits are serialised, so listeners see `seq` strictly increasing
   * even when many jobs emit at once; shared, each topic's frames reach its listeners in
   * `seq` order. Resolves to the stored frame, or null when its `stillCurrent` dropped it.
   */
  async emit(frame: NewFrame): Promise<Frame | null> {
    return (await this.emitMany(framesOf(frame)))[0] ?? null;
  }

  /**
   * Records frames of one topic together (one check, one transaction, no other frame of the
   * topic between them) and delivers them in order, as {@linkcode emit} does one. Resolves
   * to the stored frames, or none when `stillCurrent` dropped them.
   */
  emitMany(frames: NewFrames): Promise<Frame[]> {
    if (frames.payloads.length === 0) return Promise.resolve([]);
    if (this.#shared) {
      // Per topic, emits keep their call order (as alone); topics do not wait for each other.
      const tail = this.#topicTails.get(frames.topic) ?? Promise.resolve();
      const next = tail.then(() => this.#emitShared(frames));
      const settled = next.catch(() => {});
      this.#topicTails.set(frames.topic, settled);
      void settled.then(() => {
        if (this.#topicTails.get(frames.topic) === settled) this.#topicTails.delete(frames.topic);
      });
      return next;
    }
    const next = this.#chain.then(async () => {
      if (frames.stillCurrent && !await frames.stillCurrent(this.#db)) return [];
      const stored = await appendFrames(this.#db, frames);
      for (const frame of stored) this.#bus.publish(frame);
      await this.#maybePrune(frames.topic, stored.length);
      return stored;
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  /**
   * Live frames of `topic` only (no replay). Returns the function that stops it. Shared,
   * delivery starts once the topic's feed has read where it starts: a frame committed
   * before that is not delivered. {@linkcode follow} resolves only then.
   */
  subscribe(topic: Topic, listener: FrameListener): () => void {
    return this.#attach(topic, listener).stop;
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
    // One cursor per topic: with several instances, frames of different topics may
    // arrive out of `seq` order (each topic's own frames never do).
    const last = new Map(topics.map((topic) => [topic, since ?? 0]));
    const isNew = (frame: Frame) => frame.seq > (last.get(frame.topic) ?? 0);
    const pass = (frame: Frame) => {
      last.set(frame.topic, frame.seq);
      deliver(frame);
    };
    let replaying = true;
    const buffered: Frame[] = [];
    const forward = (frame: Frame) => {
      if (replaying) buffered.push(frame);
      else if (isNew(frame)) pass(frame);
    };
    const attached = topics.map((topic) => this.#attach(topic, forward));
    const stopAll = () => attached.forEach(({ stop }) => stop());
    try {
      // Alone: wait for emits already under way, so the replay sees everything published
      // before. Shared: wait until each topic's feed knows where it starts, so every frame
      // committed after the replay's read reaches `forward`.
      if (this.#shared) await Promise.all(attached.map(({ ready }) => ready));
      else await this.#chain;
      if (since !== null) {
        for (const frame of await framesSince(this.#db, topics, since)) {
          if (isNew(frame)) pass(frame);
        }
      }
      for (const frame of buffered.sort((a, b) => a.seq - b.seq)) {
        if (isNew(frame)) pass(frame);
      }
    } catch (error) {
      stopAll();
      throw error;
    } finally {
      replaying = false;
    }
    return {
      close: stopAll,
      get lastSeq() {
        return Math.max(0, ...last.values());
      },
    };
  }

  /** Adds `listener` to `topic`; shared, the topic's feed starts with its first listener. */
  #attach(topic: Topic, listener: FrameListener): { ready: Promise<void>; stop: () => void } {
    const unsubscribe = this.#bus.subscribe(topic, listener);
    let ready = Promise.resolve();
    if (this.#shared) {
      let feed = this.#feeds.get(topic);
      if (!feed) {
        const created = new TopicFeed(this.#db, topic, (frame) => this.#bus.publish(frame));
        this.#feeds.set(topic, feed = created);
        // A feed that cannot learn where it starts is dropped; the next follower retries.
        created.ready.catch(() => {
          if (this.#feeds.get(topic) === created) this.#feeds.delete(topic);
          created.close();
        });
      }
      ready = feed.ready;
    }
    return {
      ready,
      stop: () => {
        unsubscribe();
        const feed = this.#feeds.get(topic);
        if (feed && this.#bus.listenerCount(topic) === 0) {
          this.#feeds.delete(topic);
          feed.close();
        }
      },
    };
  }

  async #emitShared(frames: NewFrames): Promise<Frame[]> {
    const recorded = await recordFrames(this.#db, frames, this.#origin);
    if (!recorded) return [];
    let previousSeq = recorded.previousSeq;
    for (const frame of recorded.frames) {
      await this.#feeds.get(frames.topic)?.offer(frame, previousSeq);
      previousSeq = frame.seq;
    }
    await this.#maybePrune(frames.topic, recorded.frames.length);
    return recorded.frames;
  }

  #onNotification(payload: string): void {
    const [origin, seqText, topic] = payload.split(" ");
    // This hub's own frames were offered to their feed as they were written.
    if (origin === this.#origin) return;
    const feed = this.#feeds.get(topic as Topic);
    if (feed && Number(seqText) > feed.cursor) void feed.catchUp();
  }

  async #maybePrune(topic: Topic, written: number): Promise<void> {
    this.#written.add(topic);
    this.#sincePrune += written;
    if (this.#sincePrune < 500) return;
    this.#sincePrune = 0;
    const topics = [...this.#written];
    this.#written.clear();
    await pruneFrames(this.#db, this.#retention, topics);
  }
}

/**
 * The frames of one topic arriving at one instance, in `seq` order: a cursor and a queue
 * of reads past it. Alive while the topic has listeners here.
 */
class TopicFeed {
  /** Resolves once the cursor is set: frames committed from then on are delivered. */
  readonly ready: Promise<void>;
  /** The highest `seq` of the topic delivered (or known to precede the first listener). */
  cursor = 0;
  readonly #db: Db;
  readonly #topic: Topic;
  readonly #publish: (frame: Frame) => void;
  #queue: Promise<void>;
  #catchUpQueued = false;
  #closed = false;

  constructor(db: Db, topic: Topic, publish: (frame: Frame) => void) {
    this.#db = db;
    this.#topic = topic;
    this.#publish = publish;
    // Frames stored before the first listener came are not live news (a follower replays
    // what it wants of them with `since`).
    this.ready = lastSeqOf(db, topic).then((seq) => {
      this.cursor = seq;
    });
    this.#queue = this.ready.catch(() => {});
  }

  /** Reads and delivers what was committed past the cursor (one queued read serves all). */
  catchUp(): Promise<void> {
    if (this.#catchUpQueued) return this.#queue;
    this.#catchUpQueued = true;
    return this.#enqueue(async () => {
      this.#catchUpQueued = false;
      await this.#read();
    });
  }

  /**
   * A frame this instance just committed: delivered as is when it directly follows the
   * cursor (`previousSeq` is the topic's seq before it), else after reading the gap.
   */
  offer(frame: Frame, previousSeq: number): Promise<void> {
    return this.#enqueue(async () => {
      if (frame.seq <= this.cursor) return;
      if (previousSeq === this.cursor) this.#deliver(frame);
      else await this.#read();
    });
  }

  /** Delivers nothing more. */
  close(): void {
    this.#closed = true;
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(() => this.#closed ? undefined : step());
    this.#queue = next.catch((error) => {
      // The next notification, emit or reconnect reads again from the same cursor.
      log.warn("Could not read new frames of a topic.", { topic: this.#topic, error });
    });
    return this.#queue;
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      const frames = await framesSince(this.#db, [this.#topic], this.cursor, READ_BATCH);
      for (const frame of frames) this.#deliver(frame);
      if (frames.length < READ_BATCH) return;
    }
  }

  #deliver(frame: Frame): void {
    if (this.#closed || frame.seq <= this.cursor) return;
    this.cursor = frame.seq;
    this.#publish(frame);
  }
}
