/**
 * Benchmark: wall time to manifest the six demo photos end to end — the real service with
 * its default pool, the local analyzer, from `POST …/process` to the job's end — on fresh
 * manifests, with each step's duration.
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
      const start = performance.now();
      await call("POST", `/api/manifests/${manifest.id}/process`);
      let progress;
      while (true) {
        progress = await call("GET", `/api/manifests/${manifest.id}/progress`);
        if (["complete", "error", "cancelled"].includes(progress.status)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      walls.push((performance.now() - start) / 1000);
      if (progress.status !== "complete") throw new Error(`Run ${run} ended ${progress.status}.`);
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
      wallSeconds: summarize(walls),
      stepsMedianMs: Object.fromEntries(
        Object.entries(steps).map(([step, ms]) => [step, summarize(ms).median]),
      ),
      assets,
      provider,
    };
  });
}
