/**
 * `GET /ws`: live progress over a WebSocket.
 *
 * A client subscribes to topics and gets, per topic, a `snapshot` followed by live frames;
 * with `since` it first gets the persisted frames it missed. Frames come from the
 * {@linkcode EventHub}, which persists them with a global `seq`, so a reconnecting client is
 * correct from its first frame. Protocol errors answer an `error` frame and keep the socket
 * open; only authentication failures (4401) and a client too slow to read (1013) close it.
 *
 * @module
 */
import { describeIssues } from "../zod_issues.ts";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { EventHub, Following } from "../events/event_hub.ts";
import { type Frame, isTopic } from "../events/frames.ts";
import type { Topic } from "../db/vocabulary.ts";
import { now } from "../db/timestamp.ts";
import { log } from "../log.ts";
import { errorResponse } from "./http_errors.ts";
import { failure, type RouteGroup, routeGroup } from "./openapi.ts";
import { presentedToken, timingSafeEqual } from "./middleware/auth.ts";

/** Largest client message, in UTF-16 code units; clients only send small JSON commands. */
export const MAX_MESSAGE_CHARS = 16 * 1024;
/** Most topics one socket may follow (and one message may name). */
export const MAX_TOPICS = 50;
/** Unsent bytes a socket may hold before it is closed with 1013 (the client resumes). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How long a socket may stay open without authenticating when a token is required. */
export const AUTH_TIMEOUT_MS = 10_000;

/** Close code for a missing or wrong token (4000–4999 is for applications). */
export const CLOSE_UNAUTHORIZED = 4401;
/** Close code for a client that does not read fast enough ("try again later"). */
export const CLOSE_TOO_SLOW = 1013;

/** What the endpoint needs. */
export interface WebSocketDeps {
  readonly hub: EventHub;
  /** When set, a client must present it (`?token=`, bearer header or first message). */
  readonly authToken: string | undefined;
  /** The current state of a topic (what `GET …/progress` returns plus the job id), or null. */
  readonly snapshot: (topic: Topic) => Promise<Record<string, unknown> | null>;
  /**
   * Optional: the highest `seq` stored for a topic. With it, the snapshot of a subscribe
   * without `since` carries that seq, so a client that disconnects before any live frame
   * resumes from there; without it, such a snapshot carries the highest seq this
   * subscription has seen (often 0, and resuming from 0 replays the topic's whole history).
   */
  readonly lastSeq?: (topic: Topic) => Promise<number>;
}

/** Live counts, e.g. for `/readyz`. */
export interface WebSocketStats {
  /** Open sockets (authenticated or not yet). */
  readonly open: number;
  /** Topic subscriptions across all sockets. */
  readonly subscriptions: number;
}

/** The endpoint: its routes plus what the server needs to observe and stop it. */
export interface WebSocketEndpoint {
  /** Serves `GET /ws`; mount with `app.route("/", endpoint.routes)`. */
  readonly routes: RouteGroup;
  /** How many sockets and subscriptions are open now. */
  stats(): WebSocketStats;
  /** Closes every socket (1001 "going away" by default), e.g. on graceful shutdown. */
  closeAll(code?: number, reason?: string): void;
}

const TopicSchema = z.string().max(100).refine(isTopic, {
  message: "Expected a topic `manifest:<uuid>` or `project:<uuid>`.",
});
const TopicList = z.array(TopicSchema).min(1).max(MAX_TOPICS);

/** Every message a client may send. */
const ClientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auth"), token: z.string().max(1024) }),
  z.object({
    type: z.literal("subscribe"),
    topics: TopicList,
    since: z.int().nonnegative().nullish(),
  }),
  z.object({ type: z.literal("unsubscribe"), topics: TopicList }),
  z.object({ type: z.literal("ping") }),
]);
type ClientMessage = z.infer<typeof ClientMessage>;

/**
 * Serialised frames: every subscriber of a topic receives the same `Frame` object from the
 * hub, so fanning out to N sockets stringifies it once instead of N times.
 */
const serialized = new WeakMap<Frame, string>();

function frameText(frame: Frame): string {
  let text = serialized.get(frame);
  if (text === undefined) serialized.set(frame, text = JSON.stringify(frame));
  return text;
}

/**
 * `GET /ws` in the OpenAPI document: the handshake only (OpenAPI has no words for what
 * follows). The token is optional at this point, since a client may send it as its first
 * message instead; a wrong or missing one closes the socket with 4401.
 */
const upgrade = createRoute({
  method: "get",
  path: "/ws",
  operationId: "openWebSocket",
  tags: ["service"],
  summary: "WebSocket upgrade: live progress frames",
  description: 'Send `{type: "subscribe", topics: ["manifest:<id>" | "project:<id>"], ' +
    "since?}`; each topic answers a `snapshot` (the body of the matching progress operation), " +
    "then live frames. With AUTH_TOKEN set, authenticate with the header, `?token=` or a " +
    'first `{type: "auth", token}` message, or the socket closes with 4401.',
  security: [{}, { bearerAuth: [] }, { tokenQuery: [] }],
  responses: {
    101: { description: "Switched to the WebSocket protocol" },
    400: failure("Not a WebSocket handshake"),
  },
});

/** Builds `GET /ws` together with its stats and a way to close every socket. */
export function createWebSocketEndpoint(deps: WebSocketDeps): WebSocketEndpoint {
  const connections = new Set<Connection>();
  const routes = routeGroup();

  routes.openapi(upgrade, function upgradeToWebSocket(c) {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(
        c,
        new AppError(
          "bad_request",
          "GET /ws is a WebSocket endpoint: connect with a WebSocket client (ws://…/ws).",
          { code: "websocket_upgrade_required" },
        ),
      );
    }
    // Read before upgrading: the request's headers are gone after. Held, never logged.
    const presented = presentedToken(c.req.header("authorization"), c.req.query("token"));
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(c.req.raw);
    } catch (error) {
      return errorResponse(
        c,
        new AppError(
          "bad_request",
          `The WebSocket handshake is invalid (${(error as Error).message}): use a standard ` +
            "WebSocket client.",
          { code: "websocket_handshake_invalid" },
        ),
      );
    }
    const connection = new Connection(upgraded.socket, deps, presented, {
      opened: () => connections.add(connection),
      closed: () => connections.delete(connection),
    });
    connection.start();
    return upgraded.response;
  });

  return {
    routes,
    stats() {
      let subscriptions = 0;
      for (const connection of connections) subscriptions += connection.subscriptionCount;
      return { open: connections.size, subscriptions };
    },
    closeAll(code = 1001, reason = "The server is shutting down: reconnect with since.") {
      for (const connection of connections) connection.close(code, reason);
    },
  };
}

/** `GET /ws` alone, for apps that do not need the stats (see {@linkcode createWebSocketEndpoint}). */
export function websocketRoutes(deps: WebSocketDeps): RouteGroup {
  return createWebSocketEndpoint(deps).routes;
}

/**
 * One topic followed by one socket. Frames are held back until the snapshot is ready, so
 * the order on the wire is always: missed frames (with `since`), snapshot, live frames.
 */
class Subscription {
  /** Frames received from the hub before the snapshot was sent. */
  pending: Frame[] = [];
  /** The snapshot's seq: frames up to it are reflected in the snapshot, never sent after it. */
  floor = 0;
  following: Following | null = null;
  live = false;
  closed = false;

  close(): void {
    this.closed = true;
    this.pending = [];
    this.following?.close();
  }
}

/** One socket: authentication, message handling and its subscriptions. */
class Connection {
  readonly #socket: WebSocket;
  readonly #deps: WebSocketDeps;
  readonly #presented: string | null;
  readonly #hooks: { opened(): void; closed(): void };
  readonly #subscriptions = new Map<Topic, Subscription>();
  #authenticated: boolean;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  /** Highest seq sent on this socket; error and pong frames carry it. */
  #lastSeq = 0;
  #closed = false;

  constructor(
    socket: WebSocket,
    deps: WebSocketDeps,
    presented: string | null,
    hooks: { opened(): void; closed(): void },
  ) {
    this.#socket = socket;
    this.#deps = deps;
    this.#presented = presented;
    this.#hooks = hooks;
    this.#authenticated = deps.authToken === undefined;
  }

  get subscriptionCount(): number {
    return this.#subscriptions.size;
  }

  start(): void {
    this.#socket.onopen = () => this.#onOpen();
    this.#socket.onmessage = (event) => this.#onMessage(event);
    this.#socket.onclose = () => this.#onClose();
    this.#socket.onerror = () => {}; // A close event always follows; cleanup happens there.
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#stopAll();
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  #onOpen(): void {
    this.#hooks.opened();
    if (this.#authenticated) return;
    if (this.#presented !== null) {
      this.#checkToken(this.#presented);
      return;
    }
    this.#authTimer = setTimeout(() => {
      this.#refuse("token_missing", 'Authenticate first: send {"type":"auth","token":…}.');
    }, AUTH_TIMEOUT_MS);
  }

  #onClose(): void {
    this.#closed = true;
    clearTimeout(this.#authTimer);
    this.#stopAll();
    this.#hooks.closed();
  }

  #stopAll(): void {
    for (const subscription of this.#subscriptions.values()) subscription.close();
    this.#subscriptions.clear();
  }

  #onMessage(event: MessageEvent): void {
    if (this.#closed) return;
    const message = this.#parse(event.data);
    if (!this.#authenticated) {
      // Nothing but the token is looked at before authentication.
      if (message?.type === "auth") this.#checkToken(message.token);
      else {
        this.#refuse(
          "token_missing",
          "This server requires an access token: connect with ?token=<AUTH_TOKEN> or send " +
            '{"type":"auth","token":…} as the first message.',
        );
      }
      return;
    }
    if (message === null) return; // #parse already answered with an error frame.
    switch (message.type) {
      case "auth":
        return; // Already authenticated (or no token needed): nothing to do.
      case "ping":
        return this.#send({ type: "pong", seq: this.#lastSeq, topic: null, ts: now() });
      case "subscribe":
        return this.#subscribe(message.topics, message.since ?? null);
      case "unsubscribe":
        for (const topic of message.topics) {
          this.#subscriptions.get(topic)?.close();
          this.#subscriptions.delete(topic);
        }
        return;
    }
  }

  /** The validated message, or null after sending an error frame (unless unauthenticated). */
  #parse(data: unknown): ClientMessage | null {
    const quiet = !this.#authenticated; // Before auth, the refusal is the only answer.
    if (typeof data !== "string") {
      if (!quiet) this.#error("malformed_message", "Send text frames containing JSON.");
      return null;
    }
    if (data.length > MAX_MESSAGE_CHARS) {
      if (!quiet) {
        this.#error(
          "message_too_large",
          `The message is over ${MAX_MESSAGE_CHARS} characters: send smaller commands.`,
        );
      }
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      if (!quiet) this.#error("malformed_message", "The message is not valid JSON.");
      return null;
    }
    const result = ClientMessage.safeParse(json);
    if (result.success) return result.data;
    if (quiet) return null;
    const tooMany = result.error.issues.some((issue) =>
      issue.code === "too_big" && issue.path.length === 1 && issue.path[0] === "topics"
    );
    if (tooMany) {
      this.#error(
        "too_many_topics",
        `A message may name at most ${MAX_TOPICS} topics: split the subscription.`,
      );
    } else {
      const summary = describeIssues(result.error.issues).join("; ");
      this.#error(
        "invalid_message",
        `The message is not valid (${summary}). Send subscribe, unsubscribe, ping or auth.`,
      );
    }
    return null;
  }

  #checkToken(token: string): void {
    clearTimeout(this.#authTimer);
    if (timingSafeEqual(token, this.#deps.authToken ?? "")) this.#authenticated = true;
    else this.#refuse("token_invalid", "The access token is wrong: use the server's AUTH_TOKEN.");
  }

  #refuse(code: string, message: string): void {
    this.#error(code, message);
    this.close(CLOSE_UNAUTHORIZED, code);
  }

  #subscribe(topics: readonly Topic[], since: number | null): void {
    const adding = topics.filter((topic) => !this.#subscriptions.has(topic));
    if (this.#subscriptions.size + new Set(adding).size > MAX_TOPICS) {
      this.#error(
        "too_many_topics",
        `A socket may follow at most ${MAX_TOPICS} topics: unsubscribe from some first.`,
      );
      return;
    }
    for (const topic of new Set(topics)) {
      const subscription = new Subscription();
      this.#follow(topic, since, subscription).catch((error) => {
        this.#drop(topic, subscription);
        if (this.#closed) return; // The database closing under a dead socket is no news.
        log.error("WebSocket subscription failed.", { error, topic });
        this.#error("subscribe_failed", "The subscription failed on the server: try again.", topic);
      });
    }
  }

  /** Stops `subscription` and forgets it, unless a newer one for `topic` replaced it. */
  #drop(topic: Topic, subscription: Subscription): void {
    subscription.close();
    if (this.#subscriptions.get(topic) === subscription) this.#subscriptions.delete(topic);
  }

  /**
   * Follows `topic`: the hub's follow starts before the snapshot is read, so nothing emitted
   * in between is lost. Frames the hub delivers wait in `pending` until the snapshot is
   * ready; the snapshot's seq `s` is the highest seq known when reading it began. Pending
   * frames up to `s` are the missed ones (sent before the snapshot when `since` was given,
   * dropped otherwise since the snapshot reflects them); those after `s` follow it.
   */
  async #follow(topic: Topic, since: number | null, subscription: Subscription): Promise<void> {
    // Re-subscribing replaces the old follow, so no frame is delivered twice.
    this.#subscriptions.get(topic)?.close();
    this.#subscriptions.set(topic, subscription);
    const deliver = (frame: Frame) => {
      if (subscription.closed) return;
      if (!subscription.live) subscription.pending.push(frame);
      // Shared, a frame committed before the snapshot was read may reach the feed after it.
      else if (frame.seq > subscription.floor) this.#sendFrame(frame);
    };
    const following = await this.#deps.hub.follow([topic], since, deliver);
    subscription.following = following;
    if (subscription.closed) return following.close(); // Unsubscribed or replaced meanwhile.

    let seq = following.lastSeq;
    if (since === null && this.#deps.lastSeq) {
      // Read before the snapshot: every frame stored by now is reflected in it.
      seq = Math.max(seq, await this.#deps.lastSeq(topic));
    }
    const state = await this.#deps.snapshot(topic);
    if (subscription.closed) return;
    if (state === null) {
      this.#drop(topic, subscription);
      this.#error(
        "unknown_topic",
        `There is no ${topic.split(":")[0]} ${topic.slice(topic.indexOf(":") + 1)}: ` +
          "check the id (topics are manifest:<id> or project:<id>).",
        topic,
      );
      return;
    }
    const pending = subscription.pending;
    subscription.pending = [];
    if (since !== null) {
      for (const frame of pending) {
        if (frame.seq <= seq) this.#sendFrame(frame);
      }
    }
    this.#send({ ...state, type: "snapshot", topic, seq, ts: now() });
    for (const frame of pending) if (frame.seq > seq) this.#sendFrame(frame);
    subscription.floor = seq;
    subscription.live = true;
  }

  #sendFrame(frame: Frame): void {
    this.#sendText(frameText(frame), frame.seq);
  }

  #send(frame: { readonly seq: number; readonly [field: string]: unknown }): void {
    this.#sendText(JSON.stringify(frame), frame.seq);
  }

  #error(code: string, message: string, topic: Topic | null = null): void {
    this.#send({ type: "error", code, message, seq: this.#lastSeq, topic, ts: now() });
  }

  #sendText(text: string, seq: number): void {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(text);
    if (seq > this.#lastSeq) this.#lastSeq = seq;
    // Unbounded buffering would let one stalled client grow the server's memory without
    // limit; closing lets it reconnect with since and catch up from the durable log.
    if (this.#socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn("WebSocket client too slow; closing it.", {
        buffered_bytes: this.#socket.bufferedAmount,
        last_seq: this.#lastSeq,
      });
      this.close(
        CLOSE_TOO_SLOW,
        `Too far behind: reconnect with since=${this.#lastSeq}.`,
      );
    }
  }
}
