/**
 * WebSocket fan-out benchmark: N clients follow one topic while frames are emitted through
 * the {@linkcode EventHub} at a steady rate; reports the latency from just before
 * `hub.emit` (which persists the frame in SQLite) to its receipt by each client.
 *
 * The server is the real `GET /ws` route on 127.0.0.1 with a temporary SQLite database.
 * The clients run in this process, on the same event loop as the server, so the numbers
 * include the clients' own receive work: a pessimistic bound for remote browsers.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write=./.cache --allow-env \
 *   scripts/bench/ws_fanout.ts --clients 500 --frames 200
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import { parseArgs } from "node:util";
import { createWebSocketEndpoint } from "../../src/api/ws.ts";
import { migrateToLatest, openDatabase } from "../../src/db/database.ts";
import { EventHub } from "../../src/events/event_hub.ts";
import type { Topic } from "../../src/db/vocabulary.ts";
import { benchDataDir } from "./data_dir.ts";
import { quantile } from "./stats.ts";

/** What {@linkcode measureFanout} reports; times in milliseconds. */
export interface FanoutResult {
  readonly clients: number;
  readonly frames: number;
  /** Frames per second emitted. */
  readonly rate_per_s: number;
  /** Latency from just before `hub.emit` to receipt, over every client and frame. */
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  /** From the first connection attempt until every client had its snapshot. */
  readonly connect_ms: number;
}

/** Options of {@linkcode measureFanout}. */
export interface FanoutOptions {
  /** Clients following the topic (default 500). */
  readonly clients?: number;
  /** Frames emitted (default 200). */
  readonly frames?: number;
  /** Frames per second (default 20, a busy job's progress rate across a few topics). */
  readonly ratePerSecond?: number;
}

const TOPIC: Topic = "manifest:00000000-0000-4000-8000-000000000001";
/** Connections opened at once; more would overflow the listen backlog and stall on SYN retries. */
const CONNECT_BATCH = 50;
/** Upper bound on the whole run after the last emit, so a broken build fails instead of hanging. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Runs the benchmark once and returns its summary. */
export async function measureFanout(options: FanoutOptions = {}): Promise<FanoutResult> {
  const clients = options.clients ?? 500;
  const frames = options.frames ?? 200;
  const rate = options.ratePerSecond ?? 20;

  const dir = await benchDataDir("ws-fanout-");
  const db = openDatabase(`${dir}/bench.db`);
  const sockets: WebSocket[] = [];
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    await migrateToLatest(db);
    const hub = new EventHub(db);
    const endpoint = createWebSocketEndpoint({
      hub,
      authToken: undefined,
      snapshot: () => Promise.resolve({ status: "processing", job_id: "bench", progress: {} }),
    });
    const app = new Hono().route("/", endpoint.routes);
    server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
    const url = `ws://127.0.0.1:${server.addr.port}/ws`;

    // Latencies land in one preallocated array: no per-message allocation skews the numbers.
    const latencies = new Float64Array(clients * frames);
    let received = 0;
    let allReceived = () => {};
    let fail: (error: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      allReceived = resolve;
      fail = reject;
    });
    done.catch(() => {}); // Awaited after the emit loop; a failure during it is not unhandled.

    const connectStart = performance.now();
    for (let first = 0; first < clients; first += CONNECT_BATCH) {
      const batch = Array.from(
        { length: Math.min(CONNECT_BATCH, clients - first) },
        () =>
          connectClient(url, (sentAt) => {
            latencies[received++] = performance.now() - sentAt;
            if (received === latencies.length) allReceived();
          }),
      );
      sockets.push(...await Promise.all(batch));
    }
    const connectMs = performance.now() - connectStart;
    if (endpoint.stats().subscriptions !== clients) {
      throw new Error(`Only ${endpoint.stats().subscriptions} of ${clients} clients subscribed.`);
    }

    // A steady rate against a fixed schedule, so a slow emit does not slow the ones after it.
    const start = performance.now();
    for (let i = 0; i < frames; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sentAt = performance.now();
      // Not awaited: emits queue in the hub like those of concurrent jobs do.
      hub.emit({
        topic: TOPIC,
        type: "progress",
        jobId: "bench",
        payload: { sent_at: sentAt, current_step: "detect", progress: { done: i, total: frames } },
      }).catch(fail);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`Only ${received} of ${latencies.length} frames arrived in time.`)),
          DRAIN_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));

    const samples = Array.from(latencies);
    const round = (ms: number) => Math.round(ms * 100) / 100;
    return {
      clients,
      frames,
      rate_per_s: rate,
      p50_ms: round(quantile(samples, 0.5)),
      p95_ms: round(quantile(samples, 0.95)),
      p99_ms: round(quantile(samples, 0.99)),
      max_ms: round(samples.reduce((a, b) => Math.max(a, b), 0)),
      connect_ms: Math.round(connectMs),
    };
  } finally {
    await Promise.all(sockets.map(closeSocket));
    await server?.shutdown();
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens one client, subscribes it, and resolves once its snapshot has arrived. */
function connectClient(url: string, onFrame: (sentAt: number) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onerror = () => reject(new Error(`A client could not connect to ${url}.`));
    socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", topics: [TOPIC] }));
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "snapshot") resolve(socket);
      else if (frame.type === "progress") onFrame(frame.sent_at);
      else reject(new Error(`Unexpected frame: ${event.data}`));
    };
  });
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    socket.addEventListener("close", () => resolve());
    socket.close();
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      clients: { type: "string", default: "500" },
      frames: { type: "string", default: "200" },
      rate: { type: "string", default: "20" },
    },
  });
  const result = await measureFanout({
    clients: Number(values.clients),
    frames: Number(values.frames),
    ratePerSecond: Number(values.rate),
  });
  console.log(JSON.stringify(result, null, 2));
}
