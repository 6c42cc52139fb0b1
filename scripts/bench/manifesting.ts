/**
 * Benchmark: wall time to manifest the six demo photos end to end — the real service with
 * its default pool, the local analyzer, from `POST …/process` to the job's end — on fresh
 * manifests, with each step's duration.
 *
 * The end is the job's `done` frame on `/ws`, as the dashboard learns it: polling progress
 * every few milliseconds to find it would load the two cores the job runs on, and polling
 * more slowly would add up to an interval to every time.
 *
 * @module
 */
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { withBenchService } from "./bench_service.ts";
import { summarize } from "./stats.ts";

/** What {@linkcode measureManifesting} reports. */
export interface ManifestingResult {
  readonly photos: number;
  readonly workers: number;
  readonly runs: number;
  readonly wallSeconds: ReturnType<typeof summarize>;
  readonly stepsMedianMs: Record<string, number>;
  readonly assets: number;
  readonly provider: string | null;
}

/** Processes `files` on `runs` fresh manifests and times each run. */
export async function measureManifesting(
  files: readonly string[],
  options: { runs: number; workers?: number },
): Promise<ManifestingResult> {
  return await withBenchService("manifesting-", { workers: options.workers }, async (server) => {
    const call = async (method: string, path: string, body?: BodyInit) => {
      const headers = typeof body === "string" ? { "content-type": "application/json" } : undefined;
      const response = await fetch(`${server.url}${path}`, { method, body, headers });
      if (!response.ok) throw new Error(`${method} ${path}: ${await response.text()}`);
      return await response.json();
    };
    const photos = await Promise.all(
      files.map(async (file) => [file, await fixturePhoto(file)] as const),
    );
    const walls: number[] = [];
    const steps: Record<string, number[]> = {};
    let assets = 0;
    let provider: string | null = null;
    for (let run = 0; run < options.runs; run++) {
      const manifest = await call(
        "POST",
        "/api/manifests",
        JSON.stringify({ name: `Bench ${run}` }),
      );
      const form = new FormData();
      for (const [file, bytes] of photos) {
        form.append(
          "file",
          new File([bytes as Uint8Array<ArrayBuffer>], file, { type: "image/jpeg" }),
        );
      }
      await call("POST", `/api/manifests/${manifest.id}/uploads`, form);
      const following = await followUntilDone(server.url, `manifest:${manifest.id}`);
      const start = performance.now();
      await call("POST", `/api/manifests/${manifest.id}/process`);
      await following.done;
      walls.push((performance.now() - start) / 1000);
      const progress = await call("GET", `/api/manifests/${manifest.id}/progress`);
      if (progress.status !== "complete") {
        throw new Error(`Run ${run} ended ${progress.status}: ${progress.error}`);
      }
      for (
        const [step, state] of Object.entries(
          progress.steps as Record<string, { duration_ms: number }>,
        )
      ) {
        (steps[step] ??= []).push(state.duration_ms);
      }
      assets = (await call("GET", `/api/manifests/${manifest.id}`)).asset_count;
      provider = progress.provider;
    }
    return {
      photos: files.length,
      workers: server.services.config.workers,
      runs: options.runs,
      wallSeconds: summarize(walls, 2),
      stepsMedianMs: Object.fromEntries(
        Object.entries(steps).map(([step, ms]) => [step, summarize(ms).median]),
      ),
      assets,
      provider,
    };
  });
}

/**
 * Subscribes to `topic` on the service's `/ws`; resolves, once the snapshot has arrived, to
 * a promise of the next `done` frame (the socket is then closed). The promise is wrapped, as
 * an async function's result that is itself a promise would be waited for.
 */
async function followUntilDone(
  baseUrl: string,
  topic: string,
): Promise<{ done: Promise<void> }> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws`);
  const { promise: subscribed, resolve: onSnapshot, reject: failSubscribe } = Promise
    .withResolvers<void>();
  const { promise: done, resolve: onDone, reject: failDone } = Promise.withResolvers<void>();
  const fail = (reason: string) => {
    const error = new Error(`${topic} on /ws: ${reason}`);
    failSubscribe(error);
    failDone(error);
  };
  socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "snapshot") onSnapshot();
    else if (frame.type === "done") {
      onDone();
      socket.close();
    } else if (frame.type === "error") fail(JSON.stringify(frame));
  };
  socket.onerror = () => fail("the socket failed");
  socket.onclose = () => fail("the socket closed before the job's end");
  done.catch(() => {}); // Awaited by the caller after the job starts.
  await subscribed;
  return { done };
}
