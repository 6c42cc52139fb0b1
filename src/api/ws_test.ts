import assert from "node:assert/strict";
import { Hono } from "hono";
import type { Db } from "../db/database.ts";
import { type Backend, BACKENDS, openTestDatabase } from "../../tests/_postgres.ts";
import { EventHub } from "../events/event_hub.ts";
import { appendFrame, lastSeqOf } from "../events/event_log.ts";
import type { Frame } from "../events/frames.ts";
import type { FrameType, Topic } from "../db/vocabulary.ts";
import { setLogSink } from "../log.ts";
import { CLOSE_UNAUTHORIZED, createWebSocketEndpoint, type WebSocketEndpoint } from "./ws.ts";

const A: Topic = "manifest:00000000-0000-4000-8000-00000000000a";
const B: Topic = "manifest:00000000-0000-4000-8000-00000000000b";
const UNKNOWN: Topic = "project:00000000-0000-4000-8000-0000000000ff";
const TOKEN = "s3cret-token-for-tests";
/** Generous: a loaded CI machine must not fail a test that is about order, not speed. */
const WAIT_MS = 10_000;

type Received = Record<string, unknown> & { type: string; seq: number; topic: string | null };

/** A real WebSocket client that queues what it receives and hands it out in order. */
class Client {
  readonly socket: WebSocket;
  readonly received: Received[] = [];
  readonly closed: Promise<CloseEvent>;
  #read = 0;
  #wake: (() => void) | null = null;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.onmessage = (event) => {
      this.received.push(JSON.parse(event.data));
      this.#wake?.();
    };
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        resolve(event);
        this.#wake?.();
      });
    });
  }

  static async open(url: string): Promise<Client> {
    const client = new Client(new WebSocket(url));
    await new Promise<void>((resolve, reject) => {
      client.socket.onopen = () => resolve();
      client.socket.onerror = () => reject(new Error(`Could not connect to ${url}.`));
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The next frame not yet read; fails after {@linkcode WAIT_MS} or if the socket closed. */
  async next(): Promise<Received> {
    const deadline = Date.now() + WAIT_MS;
    while (this.#read >= this.received.length) {
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`Socket closed after ${this.received.length} frames.`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No frame ${this.#read + 1} within ${WAIT_MS} ms.`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = null;
    }
    return this.received[this.#read++];
  }

  /** The next `n` frames. */
  async take(n: number): Promise<Received[]> {
    const frames: Received[] = [];
    for (let i = 0; i < n; i++) frames.push(await this.next());
    return frames;
  }

  /**
   * Everything received before a pong: messages are handled in order, so a ping sent after
   * an emit has resolved is answered after any frame that emit delivered.
   */
  async untilPong(): Promise<Received[]> {
    this.send({ type: "ping" });
    const frames: Received[] = [];
    for (let frame = await this.next(); frame.type !== "pong"; frame = await this.next()) {
      frames.push(frame);
    }
    return frames;
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}

interface Fixture {
  readonly db: Db;
  readonly hub: EventHub;
  readonly endpoint: WebSocketEndpoint;
  /** The state the snapshot function reports; a topic missing here is unknown. */
  readonly states: Map<Topic, Record<string, unknown>>;
  url(query?: string): string;
  connect(query?: string): Promise<Client>;
  emit(topic: Topic, type: FrameType, payload?: Record<string, unknown>): Promise<Frame>;
}

async function withServer(
  options: {
    authToken?: string;
    withLastSeq?: boolean;
    backend?: Backend;
    /** Runs just before the endpoint reads a topic's last seq (with `withLastSeq`). */
    beforeLastSeq?: (db: Db, topic: Topic) => Promise<void>;
  },
  use: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const opened = await openTestDatabase(options.backend ?? "sqlite");
  const db = opened.db;
  const hub = new EventHub(db, { shared: opened.notifications });
  await hub.start();
  const states = new Map<Topic, Record<string, unknown>>([
    [A, { status: "processing", job_id: "job-a", progress: { done: 0 } }],
    [B, { status: "queued", job_id: "job-b", progress: { done: 0 } }],
  ]);
  const endpoint = createWebSocketEndpoint({
    hub,
    authToken: options.authToken,
    snapshot: (topic) => Promise.resolve(states.get(topic) ?? null),
    lastSeq: options.withLastSeq
      ? async (topic) => {
        await options.beforeLastSeq?.(db, topic);
        return lastSeqOf(db, topic);
      }
      : undefined,
  });
  const app = new Hono().route("/", endpoint.routes);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const clients: Client[] = [];
  const url = (query = "") => `ws://127.0.0.1:${server.addr.port}/ws${query}`;
  try {
    await use({
      db,
      hub,
      endpoint,
      states,
      url,
      async connect(query) {
        const client = await Client.open(url(query));
        clients.push(client);
        return client;
      },
      emit: async (topic, type, payload = {}) =>
        (await hub.emit({ topic, type, jobId: "job", payload }))!,
    });
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.shutdown();
    hub.stop();
    await opened.close();
  }
}

function subscribe(client: Client, topics: Topic[], since?: number): void {
  client.send({ type: "subscribe", topics, ...(since === undefined ? {} : { since }) });
}

for (const backend of BACKENDS) {
  Deno.test(`a subscriber gets a snapshot, then live frames of its topic in order (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit }) => {
      const client = await connect();
      subscribe(client, [A]);
      const snapshot = await client.next();
      assert.equal(snapshot.type, "snapshot");
      assert.equal(snapshot.topic, A);
      assert.equal(snapshot.seq, 0);
      assert.equal(snapshot.status, "processing");
      assert.equal(snapshot.job_id, "job-a");
      assert.match(String(snapshot.ts), /^\d{4}-\d\d-\d\dT/);

      const sent = [
        await emit(A, "step", { step: "decode", state: "started" }),
        await emit(B, "progress", { n: 1 }),
        await emit(A, "progress", { current_step: "decode", progress: { done: 1 } }),
        await emit(A, "asset", { asset: { id: "x" } }),
        await emit(A, "done", { status: "complete" }),
      ].filter((frame) => frame.topic === A);
      const frames = await client.take(sent.length);
      assert.deepEqual(frames, sent.map((frame) => JSON.parse(JSON.stringify(frame))));
      assert.deepEqual(frames.map((f) => f.type), ["step", "progress", "asset", "done"]);
      assert.deepEqual(await client.untilPong(), [], "no frame of topic B arrives");
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`ping answers pong with the last seq sent (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit }) => {
      const client = await connect();
      client.send({ type: "ping" });
      const pong = await client.next();
      assert.equal(pong.type, "pong");
      assert.equal(pong.seq, 0);
      assert.equal(pong.topic, null);
      assert.equal(typeof pong.ts, "string");

      subscribe(client, [A]);
      await client.next();
      const frame = await emit(A, "progress");
      assert.equal((await client.next()).seq, frame.seq);
      client.send({ type: "ping" });
      const after = await client.next();
      assert.equal(after.type, "pong");
      assert.equal(after.seq, frame.seq);
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`bad messages answer an error frame and the socket keeps working (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit }) => {
      const client = await connect();
      const cases: [unknown, string][] = [
        ["{not json", "malformed_message"],
        [{ type: "dance" }, "invalid_message"],
        [{ topics: [A] }, "invalid_message"],
        [{ type: "subscribe", topics: ["manifest:nope"] }, "invalid_message"],
        [{ type: "subscribe", topics: [] }, "invalid_message"],
        [{ type: "subscribe", topics: [A], since: -1 }, "invalid_message"],
        [{ type: "subscribe", topics: [A], since: 1.5 }, "invalid_message"],
        [{ type: "unsubscribe" }, "invalid_message"],
        [[1, 2, 3], "invalid_message"],
        [
          {
            type: "subscribe",
            topics: Array.from(
              { length: 51 },
              (_, i) => `manifest:00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
            ),
          },
          "too_many_topics",
        ],
        [JSON.stringify({ type: "ping", pad: "x".repeat(20_000) }), "message_too_large"],
      ];
      for (const [message, code] of cases) {
        client.send(message);
        const error = await client.next();
        assert.equal(error.type, "error", JSON.stringify(message).slice(0, 80));
        assert.equal(error.code, code, JSON.stringify(message).slice(0, 80));
        assert.equal(error.topic, null);
        assert.equal(error.seq, 0);
        assert.equal(typeof error.message, "string");
        assert.equal(typeof error.ts, "string");
      }
      client.socket.send(new Uint8Array([1, 2, 3]));
      assert.equal((await client.next()).code, "malformed_message");

      subscribe(client, [A]);
      assert.equal((await client.next()).type, "snapshot");
      const frame = await emit(A, "progress");
      assert.equal((await client.next()).seq, frame.seq);
      client.send({ type: "nope" });
      const error = await client.next();
      assert.equal(error.seq, frame.seq, "an error frame carries the last seq delivered");
    });
  });
}

Deno.test("an unknown topic answers an error naming it; known topics still subscribe", async () => {
  await withServer({}, async ({ connect, endpoint }) => {
    const client = await connect();
    subscribe(client, [UNKNOWN, A]);
    const frames = await client.take(2);
    const error = frames.find((frame) => frame.type === "error");
    assert.equal(error?.code, "unknown_topic");
    assert.equal(error?.topic, UNKNOWN);
    assert.equal(frames.find((frame) => frame.type === "snapshot")?.topic, A);
    assert.deepEqual(endpoint.stats(), { open: 1, subscriptions: 1 });
  });
});

for (const backend of BACKENDS) {
  Deno.test(`a client resuming with since gets exactly what it missed, a snapshot, then live (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit, states }) => {
      const watcher = await connect();
      const leaver = await connect();
      subscribe(watcher, [A]);
      subscribe(leaver, [A]);
      await watcher.next();
      await leaver.next();

      const emitted: Frame[] = [];
      for (let i = 1; i <= 4; i++) {
        emitted.push(await emit(A, "progress", { n: i }));
        await emit(B, "progress", { n: i }); // Interleaved: seqs of A are not contiguous.
      }
      const k = (await leaver.take(4)).at(-1)!.seq;
      assert.equal(k, emitted[3].seq);
      await leaver.close();

      for (let i = 5; i <= 10; i++) emitted.push(await emit(A, "progress", { n: i }));
      states.set(A, { status: "processing", job_id: "job-a", progress: { done: 10 } });
      assert.deepEqual((await watcher.take(10)).map((f) => f.seq), emitted.map((f) => f.seq));

      const back = await connect();
      subscribe(back, [A], k);
      const missed = await back.take(6);
      assert.deepEqual(missed.map((f) => f.n), [5, 6, 7, 8, 9, 10]);
      assert.deepEqual(missed.map((f) => f.seq), emitted.slice(4).map((f) => f.seq));
      const snapshot = await back.next();
      assert.equal(snapshot.type, "snapshot");
      assert.equal(snapshot.seq, emitted[9].seq, "the snapshot carries the last seq replayed");
      assert.deepEqual(snapshot.progress, { done: 10 });

      const live = await emit(A, "done", { status: "complete" });
      assert.equal((await back.next()).seq, live.seq);
      assert.equal((await watcher.next()).seq, live.seq);
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`resuming while frames are being emitted has no gap and no duplicate (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit }) => {
      const watcher = await connect();
      subscribe(watcher, [A]);
      await watcher.next();
      for (let i = 0; i < 20; i++) await emit(A, "progress", { n: i });
      const first = await watcher.take(20);
      const since = first[9].seq;

      // Emit concurrently with the resubscription: the replay/live boundary falls somewhere
      // inside this burst.
      const back = await connect();
      const burst = Array.from({ length: 60 }, (_, i) => emit(A, "progress", { n: 20 + i }));
      subscribe(back, [A], since);
      const expected = [...first.slice(10), ...await Promise.all(burst)].map((f) => f.seq);

      const frames = [...await back.take(expected.length + 1), ...await back.untilPong()];
      const at = frames.findIndex((frame) => frame.type === "snapshot");
      assert.notEqual(at, -1, "a snapshot is sent");
      const rest = frames.filter((_, i) => i !== at);
      assert.deepEqual(rest.map((frame) => frame.seq), expected);
      // Replayed frames come before the snapshot and carry seq ≤ its seq; live ones after.
      assert.ok(rest.slice(0, at).every((frame) => frame.seq <= frames[at].seq));
      assert.ok(rest.slice(at).every((frame) => frame.seq > frames[at].seq));
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`a snapshot without since carries the topic's last seq when lastSeq is given (${backend})`, async () => {
    await withServer({ backend, withLastSeq: true }, async ({ connect, emit }) => {
      await emit(A, "progress");
      const last = await emit(A, "progress");
      await emit(B, "progress");
      const client = await connect();
      subscribe(client, [A]);
      const snapshot = await client.next();
      assert.equal(snapshot.type, "snapshot");
      assert.equal(snapshot.seq, last.seq);
      assert.deepEqual(await client.untilPong(), [], "frames the snapshot reflects are not sent");
    });
  });
}

Deno.test("a frame another instance commits before the snapshot is read never follows it, however late its news (postgres)", async () => {
  let other: Frame | null = null;
  await withServer({
    backend: "postgres",
    withLastSeq: true,
    // Another instance's frame, committed after this one's feed started and before the
    // snapshot; its notification has not come yet.
    beforeLastSeq: async (db, topic) => {
      other ??= await appendFrame(db, { topic, type: "progress", jobId: "job", payload: {} });
    },
  }, async ({ connect, emit }) => {
    const client = await connect();
    subscribe(client, [A]);
    const snapshot = await client.next();
    assert.equal(snapshot.type, "snapshot");
    assert.equal(snapshot.seq, other!.seq, "the snapshot reflects the other instance's frame");
    // This instance's next frame makes its feed read the gap, which holds that frame.
    const next = await emit(A, "progress");
    assert.deepEqual(
      (await client.untilPong()).map((frame) => frame.seq),
      [next.seq],
      "the frame the snapshot reflects is not sent again after it",
    );
  });
});

for (const backend of BACKENDS) {
  Deno.test(`re-subscribing replaces the follow; unsubscribe stops delivery (${backend})`, async () => {
    await withServer({ backend }, async ({ connect, emit, endpoint }) => {
      const client = await connect();
      subscribe(client, [A, B]);
      await client.take(2);
      subscribe(client, [A]);
      assert.equal((await client.next()).type, "snapshot");
      const once = await emit(A, "progress");
      assert.deepEqual((await client.untilPong()).map((f) => f.seq), [once.seq]);
      assert.deepEqual(endpoint.stats(), { open: 1, subscriptions: 2 });

      client.send({ type: "unsubscribe", topics: [A, UNKNOWN] });
      await client.untilPong();
      await emit(A, "progress");
      const fromB = await emit(B, "progress");
      assert.deepEqual((await client.untilPong()).map((f) => f.seq), [fromB.seq]);
      assert.deepEqual(endpoint.stats(), { open: 1, subscriptions: 1 });

      await client.close();
      // The server sees the close a moment later.
      for (let i = 0; i < 200 && endpoint.stats().open > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(endpoint.stats(), { open: 0, subscriptions: 0 });
    });
  });
}

Deno.test("GET /ws without an upgrade answers 400 in the API's error shape", async () => {
  await withServer({}, async ({ url }) => {
    const response = await fetch(url().replace("ws:", "http:"));
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error.code, "websocket_upgrade_required");
    assert.match(body.error.message, /WebSocket/);
  });
});

Deno.test("with AUTH_TOKEN, a socket authenticates by ?token= or by its first message", async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    await withServer({ authToken: TOKEN }, async ({ connect }) => {
      const byQuery = await connect(`?token=${TOKEN}`);
      subscribe(byQuery, [A]);
      assert.equal((await byQuery.next()).type, "snapshot");

      const byMessage = await connect();
      byMessage.send({ type: "auth", token: TOKEN });
      subscribe(byMessage, [A]);
      assert.equal((await byMessage.next()).type, "snapshot");
    });
  } finally {
    setLogSink(previous);
  }
  assert.ok(lines.every((line) => !line.includes(TOKEN)), "the token is never logged");
});

Deno.test("a wrong or missing token answers an error frame and closes with 4401", async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    await withServer({ authToken: TOKEN }, async ({ connect, endpoint }) => {
      const wrongQuery = await connect("?token=wrong-token-x");
      const wrongMessage = await connect();
      wrongMessage.send({ type: "auth", token: "wrong-token-y" });
      const skipsAuth = await connect();
      subscribe(skipsAuth, [A]); // Not processed: the first message must authenticate.

      for (
        const [client, code] of [
          [wrongQuery, "token_invalid"],
          [wrongMessage, "token_invalid"],
          [skipsAuth, "token_missing"],
        ] as const
      ) {
        const error = await client.next();
        assert.equal(error.type, "error");
        assert.equal(error.code, code);
        assert.equal((await client.closed).code, CLOSE_UNAUTHORIZED);
        assert.equal(client.received.length, 1, "nothing but the error is sent");
      }
      assert.equal(endpoint.stats().subscriptions, 0);
    });
  } finally {
    setLogSink(previous);
  }
  assert.ok(lines.every((line) => !/wrong-token/.test(line)), "presented tokens are not logged");
});

Deno.test("a client that does not read is closed instead of buffered without bound", async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    await withServer({}, async ({ url, emit, endpoint }) => {
      // A raw TCP client: it completes the handshake and subscribes, then never reads.
      const { port } = new URL(url());
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      try {
        const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
        await writeAll(
          conn,
          `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        const head = new Uint8Array(1024);
        assert.match(
          new TextDecoder().decode(head.subarray(0, await conn.read(head) ?? 0)),
          / 101 /,
        );
        await writeAll(conn, maskedTextFrame(JSON.stringify({ type: "subscribe", topics: [A] })));
        for (let i = 0; i < 200 && endpoint.stats().subscriptions === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        // Far more than the kernel's socket buffers and the 4 MB limit together.
        const big = "x".repeat(256 * 1024);
        for (let i = 0; i < 160 && !lines.some((l) => l.includes("too slow")); i++) {
          await emit(A, "progress", { big });
        }
        assert.ok(lines.some((line) => line.includes("too slow")), "the slow client is closed");
        assert.equal(endpoint.stats().subscriptions, 0, "its follows are stopped");
      } finally {
        conn.close();
      }
    });
  } finally {
    setLogSink(previous);
  }
});

async function writeAll(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/** A client-to-server text frame (clients must mask), for payloads under 126 bytes. */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  assert.ok(payload.length < 126);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x81, 0x80 | payload.length, ...mask]);
  payload.forEach((byte, i) => (frame[6 + i] = byte ^ mask[i % 4]));
  return frame;
}
