/**
 * The `clustering` section of `deno task bench`: face clustering alone, on synthetic faces
 * (synthetic_faces.ts) of 1000, 4000 and 10 000 faces, each size in a child process
 * (cluster_run.ts) through the swappable cluster_adapter.ts. A size still running after the
 * time limit is killed, and the larger ones are skipped.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ClusterRun } from "./cluster_run.ts";

/** Face counts measured, smallest first. */
export const CLUSTER_SIZES: readonly number[] = [1000, 4000, 10_000];

/** How the section runs. */
export interface ClusteringOptions {
  /** Only sizes up to this many faces run. */
  readonly clusterMax: number;
  /** A size still running after this long is killed. */
  readonly timeoutS: number;
  readonly seed: number;
  /** The service's `FACE_MATCH_THRESHOLD`. */
  readonly threshold: number;
}

/** One size: its run, or why there is none. */
export type ClusteringResult =
  | ClusterRun & { readonly status: "done" }
  | { readonly faces: number; readonly status: "timeout" | "skipped"; readonly note: string };

const RUN_SCRIPT = fileURLToPath(new URL("./cluster_run.ts", import.meta.url));

/** Runs the section; progress lines go to `log`. */
export async function measureClustering(
  options: ClusteringOptions,
  log: (message: string) => void,
): Promise<ClusteringResult[]> {
  const results: ClusteringResult[] = [];
  let stoppedAt: number | null = null;
  for (const faces of CLUSTER_SIZES.filter((size) => size <= options.clusterMax)) {
    if (stoppedAt !== null) {
      const note = `${stoppedAt} faces already took longer than ${options.timeoutS} s`;
      results.push({ faces, status: "skipped", note });
      continue;
    }
    log(`clustering ${faces} faces`);
    const run = await runOne(faces, options);
    if (run === null) {
      log(`clustering ${faces} faces: killed after ${options.timeoutS} s`);
      stoppedAt = faces;
      results.push({ faces, status: "timeout", note: `killed after ${options.timeoutS} s` });
    } else {
      results.push({ ...run, status: "done" });
    }
  }
  return results;
}

/** Runs cluster_run.ts for `faces`; null when it had to be killed. */
async function runOne(faces: number, options: ClusteringOptions): Promise<ClusterRun | null> {
  // By name: `--allow-run=deno` allows the `deno` on PATH, which is what runs `deno task`.
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      RUN_SCRIPT,
      `--faces=${faces}`,
      `--seed=${options.seed}`,
      `--threshold=${options.threshold}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, options.timeoutS * 1000);
  const { success, stdout } = await child.output();
  clearTimeout(timer);
  if (killed) return null;
  if (!success) throw new Error(`Clustering ${faces} faces failed (see its error above).`);
  return JSON.parse(new TextDecoder().decode(stdout));
}
