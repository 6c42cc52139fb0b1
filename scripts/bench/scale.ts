/**
 * The `scale` section of `deno task bench`: how the cost of manifesting grows with the number
 * of photos. One real service (127.0.0.1, temporary `DATA_DIR`, local analyzer) processes
 * fresh manifests of 24, 120 and 480 distinct generated photos, each measured by
 * {@linkcode measureManifestJob}; then the 120-photo job runs again several times in a row to
 * show whether memory comes back down between jobs.
 *
 * @module
 */
import { withBenchService } from "./bench_service.ts";
import {
  type ManifestJobOptions,
  type ManifestJobResult,
  measureManifestJob,
} from "./manifest_job.ts";
import { collectGarbage } from "./memory.ts";
import { mixSeed } from "./prng.ts";

/** Manifest sizes measured, smallest first. */
export const SCALE_SIZES: readonly number[] = [24, 120, 480];
/** The size run again by the `repeat` sub-section. */
export const REPEAT_SIZE = 120;

/** How the section runs. */
export interface ScaleOptions
  extends Pick<ManifestJobOptions, "seed" | "batch" | "pollMs" | "manifestPollMs" | "timeoutS"> {
  /** Only sizes up to this many photos run; the repeat needs {@linkcode REPEAT_SIZE}. */
  readonly scaleMax: number;
  /** The sizes measured, smallest first (default {@linkcode SCALE_SIZES}). */
  readonly sizes?: readonly number[];
  /** Jobs of {@linkcode REPEAT_SIZE} photos in the repeat (0: none). */
  readonly repeat: number;
  /** Pool size of the service (its default when unset). */
  readonly workers?: number;
}

/** One job of the repeat. */
export interface RepeatRun {
  readonly run: number;
  readonly status: string;
  readonly wallSeconds: number;
  readonly jobPeakRssMb: number;
  readonly rssAfterMb: number;
}

/** How one measure changed from a size to the next, as an exponent: 1 = linear in photos. */
export interface Growth {
  readonly from: number;
  readonly to: number;
  readonly wall: number;
  readonly steps: Record<string, number | null>;
}

/** What the section reports. */
export interface ScaleReport {
  readonly workers: number;
  readonly provider: string;
  readonly batch: number;
  readonly pollMs: number;
  readonly manifestPollMs: number;
  readonly gcExposed: boolean;
  readonly sizes: readonly ManifestJobResult[];
  readonly growth: readonly Growth[];
  readonly repeat: { readonly photos: number; readonly runs: readonly RepeatRun[] } | null;
}

/** Runs the section; progress lines go to `log`. */
export async function measureScale(
  options: ScaleOptions,
  log: (message: string) => void,
): Promise<ScaleReport> {
  return await withBenchService("scale-", {
    workers: options.workers,
    env: { REVERSE_PROMPT_PROVIDER: "local" },
  }, async (server) => {
    const job = (photos: number, run: number) =>
      measureManifestJob(server.url, {
        photos,
        seed: mixSeed(options.seed, photos, run),
        batch: options.batch,
        pollMs: options.pollMs,
        manifestPollMs: options.manifestPollMs,
        timeoutS: options.timeoutS,
      }, (message) => log(run > 0 ? `repeat ${run}: ${message}` : message));
    const sizes: ManifestJobResult[] = [];
    const wanted = options.sizes ?? SCALE_SIZES;
    for (const photos of wanted.filter((size) => size <= options.scaleMax)) {
      log(`${photos} photos: generating and uploading`);
      sizes.push(await job(photos, 0));
    }
    let repeat: ScaleReport["repeat"] = null;
    if (options.repeat > 0 && REPEAT_SIZE <= options.scaleMax) {
      const runs: RepeatRun[] = [];
      for (let run = 1; run <= options.repeat; run++) {
        log(`repeat ${run} of ${options.repeat}: ${REPEAT_SIZE} photos`);
        const result = await job(REPEAT_SIZE, run);
        runs.push({
          run,
          status: result.status,
          wallSeconds: result.wallSeconds,
          jobPeakRssMb: result.memory.jobPeakRssMb,
          rssAfterMb: result.memory.rssAfterMb,
        });
      }
      repeat = { photos: REPEAT_SIZE, runs };
    }
    return {
      workers: server.services.config.workers,
      provider: "local",
      batch: options.batch,
      pollMs: options.pollMs,
      manifestPollMs: options.manifestPollMs,
      gcExposed: collectGarbage(),
      sizes,
      growth: growthOf(sizes),
      repeat,
    };
  });
}

/** Exponents between consecutive sizes: log(cost ratio) / log(photo ratio). */
export function growthOf(sizes: readonly ManifestJobResult[]): Growth[] {
  const exponent = (a: number | null, b: number | null, photos: number) =>
    a && b && a > 0 && b > 0 ? Math.round((Math.log(b / a) / Math.log(photos)) * 100) / 100 : null;
  return sizes.slice(1).map((to, i) => {
    const from = sizes[i];
    const ratio = to.photos / from.photos;
    return {
      from: from.photos,
      to: to.photos,
      wall: exponent(from.wallSeconds, to.wallSeconds, ratio)!,
      steps: Object.fromEntries(
        Object.keys(to.stepsMs).map((step) => [
          step,
          exponent(from.stepsMs[step] ?? null, to.stepsMs[step], ratio),
        ]),
      ),
    };
  });
}
