/**
 * Live progress over the WebSocket `/ws` (docs/websocket.md). One socket for the whole page; views
 * subscribe to topics (`manifest:<id>`, `project:<id>`) and get every frame of them.
 *
 * The server sends a `snapshot` on every subscribe, so a view is right from its first frame.
 * The last `seq` seen per topic is kept (in sessionStorage too), and every (re)subscribe sends
 * it as `since`: after a dropped connection or a page reload the server first replays exactly
 * the frames that were missed. Reconnection is automatic, with exponential backoff.
 *
 * @module
 */
import { currentToken, requestToken, withToken } from "./auth.js";

const SEQ_KEY = "manifest-studio.seq.";
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
const PING_MS = 25_000;
/** The server's close code for a missing or wrong token. */
const CLOSE_UNAUTHORIZED = 4401;

// The frames of a topic, as src/events/frames.ts, src/pipeline/progress.ts and src/api/ws.ts
// send them.

/** @typedef {{ state: "pending" | "started" | "finished", duration_ms: number | null }} StepState */
/** @typedef {"not_started" | "queued" | "processing" | "complete" | "error" | "cancelled"} JobStatus */
/** @typedef {{ seq: number, topic: string, ts: string }} FrameBase */

/**
 * Where a topic's job is, sent on every subscribe (`manifest_status` on manifest topics,
 * `project_status` on project topics).
 * @typedef {FrameBase & {
 *   type: "snapshot", status: JobStatus, job_id: string | null, current_step: string | null,
 *   progress: Record<string, number>, steps: Record<string, StepState>, error: string | null,
 *   started_at: string | null, finished_at: string | null,
 *   manifest_status?: import("./api.js").ManifestStatus,
 *   project_status?: import("./api.js").ProjectStatus }} SnapshotFrame
 */
/**
 * @typedef {FrameBase & { type: "step", job_id: string, step: string,
 *   state: "started" | "finished", duration_ms: number | null }} StepFrame
 */
/**
 * @typedef {FrameBase & { type: "progress", job_id: string, current_step: string | null,
 *   progress: Record<string, number> }} ProgressFrame
 */
/**
 * @typedef {FrameBase & { type: "asset", job_id: string | null, change: "created" | "updated",
 *   asset: import("./api.js").Asset }} AssetFrame
 */
/**
 * @typedef {FrameBase & { type: "done", job_id: string,
 *   status: "complete" | "error" | "cancelled", error: string | null,
 *   totals: Record<string, number>, warnings?: string[] }} DoneFrame
 */
/**
 * The topic cannot be followed (an unknown id, say).
 * @typedef {FrameBase & { type: "error", job_id?: undefined, code: string, message: string }}
 *   ErrorFrame
 */
/** @typedef {SnapshotFrame | StepFrame | ProgressFrame | AssetFrame | DoneFrame | ErrorFrame} Frame */
/**
 * What the socket receives: a topic's frame, or a frame for the socket itself (a pong, or an
 * error just before the server closes it).
 * @typedef {Frame | { type: "pong" | "error", seq: number, topic: null }} Message
 */
/** @typedef {"idle" | "connecting" | "live" | "waiting"} LiveState */

class LiveClient {
  /** @type {WebSocket | null} */
  #socket = null;
  /** @type {Map<string, Set<(frame: Frame) => void>>} */
  #topics = new Map();
  /** @type {Set<(state: LiveState, retryAt: number | null) => void>} */
  #watchers = new Set();
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #pingTimer;
  /** @type {LiveState} */
  #state = "idle";
  /** @type {number | null} */
  #retryAt = null;
  /** The token the current socket presented (null when none). */
  /** @type {string | null} */
  #token = null;
  /** Set while a refused socket waits for the token; that wait reconnects by itself. */
  #awaitingToken = false;

  constructor() {
    // Coming back online or to the tab should not wait for the backoff timer.
    addEventListener("online", () => this.#reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.#reconnectNow();
    });
  }

  /**
   * Follows `topic`; `listener` receives every frame of it, starting with a snapshot.
   * @param {string} topic
   * @param {(frame: Frame) => void} listener
   * @returns {() => void} stops following
   */
  subscribe(topic, listener) {
    let listeners = this.#topics.get(topic);
    if (!listeners) {
      listeners = new Set();
      this.#topics.set(topic, listeners);
      this.#sendSubscribe(topic);
    }
    listeners.add(listener);
    this.#ensureConnected();
    return () => {
      const set = this.#topics.get(topic);
      if (!set) return;
      set.delete(listener);
      if (set.size > 0) return;
      this.#topics.delete(topic);
      this.#send({ type: "unsubscribe", topics: [topic] });
    };
  }

  /**
   * Calls `watcher` with the connection state now and on every change.
   * @param {(state: LiveState, retryAt: number | null) => void} watcher
   */
  watch(watcher) {
    this.#watchers.add(watcher);
    watcher(this.#state, this.#retryAt);
  }

  /** @param {LiveState} state @param {number | null} [retryAt] */
  #setState(state, retryAt = null) {
    this.#state = state;
    this.#retryAt = retryAt;
    for (const watcher of this.#watchers) watcher(state, retryAt);
  }

  #ensureConnected() {
    // A second socket opened meanwhile would live on beside the one the wait opens, and
    // every frame would be delivered twice.
    if (this.#socket || this.#retryTimer !== undefined || this.#awaitingToken) return;
    this.#connect();
  }

  #reconnectNow() {
    if (this.#retryTimer === undefined || this.#topics.size === 0) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#connect();
  }

  #connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.#token = currentToken();
    const socket = new WebSocket(withToken(`${scheme}://${location.host}/ws`));
    this.#socket = socket;
    this.#setState("connecting");
    socket.addEventListener("open", () => {
      this.#attempt = 0;
      this.#setState("live");
      for (const topic of this.#topics.keys()) this.#sendSubscribe(topic);
      this.#pingTimer = setInterval(() => this.#send({ type: "ping" }), PING_MS);
    });
    socket.addEventListener("message", (event) => this.#onMessage(event));
    socket.addEventListener("close", (event) => this.#onClose(socket, event));
  }

  /** @param {MessageEvent} event */
  #onMessage(event) {
    /** @type {Message} */
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return; // The server only sends JSON; ignore anything else rather than break the page.
    }
    if (!frame.topic) return; // pong, or a socket-wide error followed by a close.
    const listeners = this.#topics.get(frame.topic);
    if (!listeners) return;
    if (frame.type !== "error" && typeof frame.seq === "number") {
      if (frame.seq > (lastSeq(frame.topic) ?? -1)) {
        sessionStorage.setItem(SEQ_KEY + frame.topic, String(frame.seq));
      }
    }
    for (const listener of [...listeners]) listener(frame);
  }

  /** @param {WebSocket} socket @param {CloseEvent} event */
  async #onClose(socket, event) {
    if (this.#socket !== socket) return;
    this.#socket = null;
    clearInterval(this.#pingTimer);
    if (this.#topics.size === 0) {
      this.#setState("idle");
      return;
    }
    if (event.code === CLOSE_UNAUTHORIZED) {
      this.#setState("waiting");
      this.#awaitingToken = true;
      try {
        await requestToken("The access token was refused by the live connection.", this.#token);
      } finally {
        this.#awaitingToken = false;
      }
      this.#connect();
      return;
    }
    // Exponential backoff with jitter, so many tabs do not reconnect in step.
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.#attempt++);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#setState("waiting", Date.now() + delay);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delay);
  }

  /** @param {string} topic */
  #sendSubscribe(topic) {
    const since = lastSeq(topic);
    this.#send({ type: "subscribe", topics: [topic], ...(since !== null && { since }) });
  }

  /** @param {unknown} message */
  #send(message) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }
}

/**
 * The last seq received for `topic` in this tab, or null.
 * @param {string} topic
 * @returns {number | null}
 */
function lastSeq(topic) {
  const value = sessionStorage.getItem(SEQ_KEY + topic);
  return value === null ? null : Number(value);
}

/** The page's one live connection. */
export const live = new LiveClient();
