/**
 * Helpers for tests that process manifests: upload demo photos, wait for a job to end, and
 * follow a topic over a real WebSocket.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fixturePhoto } from "./fixtures/photos.ts";
import { multipart, type TestServer } from "./_harness.ts";

/** What these helpers need of a server: its HTTP client (a test server, or any URL). */
type Client = Pick<TestServer, "fetch" | "json">;

/** The six `@vladmandic/face-api@1.7.15` demo photos. */
export const DEMO_FILES = [1, 2, 3, 4, 5, 6].map((n) => `sample${n}.jpg`);

/** Creates a manifest holding `files` (demo photos); returns its id and upload ids. */
export async function manifestWithPhotos(
  server: Client,
  files: readonly string[],
  name = "Demo cast",
): Promise<{ manifestId: string; uploadIds: string[] }> {
  const created = await server.json("POST", "/api/manifests", { name });
  assert.equal(created.status, 201);
  const manifestId = created.body.id as string;
  const parts = await Promise.all(
    files.map(async (file) => ({ name: file, bytes: await fixturePhoto(file) })),
  );
  const response = await server.fetch(`/api/manifests/${manifestId}/uploads`, {
    method: "POST",
    body: multipart(parts),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const { items } = await response.json();
  return { manifestId, uploadIds: items.map((item: { id: string }) => item.id) };
}

/** Terminal statuses of `GET …/progress`. */
const ENDED = new Set(["complete", "error", "cancelled"]);

/** Polls the progress endpoint until the manifest's job ends (or `timeoutMs`). */
export async function waitForProgress(
  server: Client,
  manifestId: string,
  until: (progress: AnyFrame) => boolean = (p) => ENDED.has(p.status),
  timeoutMs = 120_000,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const { status, body } = await server.json("GET", `/api/manifests/${manifestId}/progress`);
    assert.equal(status, 200);
    if (until(body)) return body;
    if (Date.now() > deadline) {
      throw new Error(`Progress did not reach the expected state: ${JSON.stringify(body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts processing and waits for it to end; returns the final progress. */
export async function processAndWait(server: Client, manifestId: string) {
  const started = await server.json("POST", `/api/manifests/${manifestId}/process`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return await waitForProgress(server, manifestId);
}

/** A frame as a test sees it. */
// deno-lint-ignore no-explicit-any
export type AnyFrame = Record<string, any>;

/** A WebSocket client that records every frame. */
export class FrameRecorder {
  readonly frames: AnyFrame[] = [];
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  #waiters: { test: (frames: AnyFrame[]) => boolean; resolve: () => void }[] = [];

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = (event) => reject(new Error(`WebSocket error: ${String(event)}`));
    });
    this.closed = new Promise((resolve) => this.socket.addEventListener("close", () => resolve()));
    this.socket.onmessage = (event) => {
      this.frames.push(JSON.parse(event.data));
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.test(this.frames)) return true;
        waiter.resolve();
        return false;
      });
    };
  }

  /** Sends a JSON message. */
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Resolves once `test` holds for the frames received (or fails after `timeoutMs`). */
  waitFor(test: (frames: AnyFrame[]) => boolean, timeoutMs = 120_000): Promise<void> {
    if (test(this.frames)) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(() => {
      reject(new Error(`Frames never matched; got ${this.frames.length}.`));
    }, timeoutMs);
    this.#waiters.push({
      test,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    });
    return promise;
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

/** The WebSocket URL of a test server. */
export function wsUrl(server: TestServer, query = ""): string {
  return `${server.url.replace(/^http/, "ws")}/ws${query}`;
}

/** Crops of one upload that repeat each other (same role and class, IoU > 0.5). */
export function duplicateCrops(assets: readonly AnyFrame[]): [string, string][] {
  const crops = assets.filter((a) => a.source === "extracted");
  const pairs: [string, string][] = [];
  for (let i = 0; i < crops.length; i++) {
    for (let j = i + 1; j < crops.length; j++) {
      const [a, b] = [crops[i], crops[j]];
      if (a.source_asset_id !== b.source_asset_id || a.extraction_role !== b.extraction_role) {
        continue;
      }
      if (a.detection_class !== b.detection_class) continue;
      if (boxIou(a.crop_bbox, b.crop_bbox) > 0.5) pairs.push([a.id, b.id]);
    }
  }
  return pairs;
}

function boxIou(a: number[], b: number[]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
