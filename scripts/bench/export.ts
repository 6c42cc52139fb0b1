/**
 * The `export` section of `deno task bench`: what exporting a big manifest as a bundle costs.
 * One real service (127.0.0.1, temporary `DATA_DIR`, local analyzer) processes a manifest of
 * `photos` distinct generated photos the way the `scale` section does
 * ({@linkcode measureManifestJob}); once it is READY, the bundle is written through the bench
 * hook `measureExport` into a sink that only counts bytes, with RSS sampled every
 * `sampleMs` and before it, after a garbage collection.
 *
 * The bar (issue 18): RSS rises by at most {@linkcode EXPORT_BAR}`.riseMb` and the export
 * takes at most {@linkcode EXPORT_BAR}`.seconds`.
 *
 * @module
 */
import type { Db } from "../../src/db/database.ts";
import { measureExport } from "../../src/bundles/measure_export.ts";
import { withBenchService } from "./bench_service.ts";
import {
  type ManifestJobOptions,
  type ManifestJobResult,
  measureManifestJob,
} from "./manifest_job.ts";
import { collectGarbage } from "./memory.ts";
import { mixSeed } from "./prng.ts";

/** What an export of a ≥ 400-photo manifest may cost on the bench machine. */
export const EXPORT_BAR = Object.freeze({ riseMb: 100, seconds: 10 });

const MB = 2 ** 20;
/** Mixed into the seed so the section's photos are not those of a scale job. */
const SECTION_SALT = 18;

/** How the section runs. */
export interface ExportBenchOptions
  extends Pick<ManifestJobOptions, "seed" | "batch" | "pollMs" | "manifestPollMs" | "timeoutS"> {
  /** Photos uploaded and processed before the export. */
  readonly photos: number;
  /** How often RSS is sampled during the export, in milliseconds. */
  readonly sampleMs: number;
  /** Pool size of the service (its default when unset). */
  readonly workers?: number;
}

/** One export, measured. Memory in MiB. */
export interface ExportRun {
  readonly wallSeconds: number;
  readonly bundleBytes: number;
  readonly bundleMb: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
  /** `peakRssMb − rssBeforeMb`. */
  readonly riseMb: number;
}

/** What the section reports. */
export interface ExportReport {
  readonly photos: number;
  /** Assets of the manifest (uploads and crops), and how many of them the bundle holds an image of. */
  readonly assets: number;
  readonly imageEntries: number;
  readonly manifestStatus: string;
  /** Processing the manifest before the export (not part of the export's cost). */
  readonly processSeconds: number;
  readonly gcExposed: boolean;
  readonly sampleMs: number;
  readonly sink: string;
  readonly run: ExportRun;
  readonly bar: typeof EXPORT_BAR;
  /** Whether `run` is within `bar`. */
  readonly withinBar: boolean;
}

/** Runs the section; progress lines go to `log`. */
export async function measureExportSection(
  options: ExportBenchOptions,
  log: (message: string) => void,
): Promise<ExportReport> {
  return await withBenchService("export-", {
    workers: options.workers,
    env: { REVERSE_PROMPT_PROVIDER: "local" },
  }, async (server) => {
    log(`${options.photos} photos: generating, uploading and processing`);
    const job = await measureManifestJob(server.url, {
      photos: options.photos,
      seed: mixSeed(options.seed, options.photos, SECTION_SALT),
      batch: options.batch,
      pollMs: options.pollMs,
      manifestPollMs: options.manifestPollMs,
      timeoutS: options.timeoutS,
    }, log);
    assertReady(job);
    const { db, blobs } = server.services;
    const imageEntries = await countImages(db, job.manifestId);
    log(`exporting ${job.assets} assets (${imageEntries} images)`);
    await settle();
    const gcExposed = collectGarbage();
    const measured = await measureExport({ db, blobs }, job.manifestId, {
      sink: discardingSink(),
      sampleMs: options.sampleMs,
    });
    const run = exportRun(measured);
    return {
      photos: options.photos,
      assets: job.assets,
      imageEntries,
      manifestStatus: job.status,
      processSeconds: job.wallSeconds,
      gcExposed,
      sampleMs: options.sampleMs,
      sink: "discard (bytes counted, nothing kept)",
      run,
      bar: EXPORT_BAR,
      withinBar: run.riseMb <= EXPORT_BAR.riseMb && run.wallSeconds <= EXPORT_BAR.seconds,
    };
  });
}

/** The report of one measurement, in seconds and MiB. */
export function exportRun(measured: {
  readonly bytes: number;
  readonly ms: number;
  readonly rssBeforeBytes: number;
  readonly peakRssBytes: number;
}): ExportRun {
  const rssBeforeMb = Math.round(measured.rssBeforeBytes / MB);
  const peakRssMb = Math.round(measured.peakRssBytes / MB);
  return {
    wallSeconds: Math.round(measured.ms / 10) / 100,
    bundleBytes: measured.bytes,
    bundleMb: Math.round((measured.bytes / MB) * 10) / 10,
    rssBeforeMb,
    peakRssMb,
    riseMb: peakRssMb - rssBeforeMb,
  };
}

/** The export refuses a manifest that is not READY, DRAFT or ERROR; the bench wants READY. */
function assertReady(job: ManifestJobResult): void {
  if (job.status !== "READY") {
    throw new Error(
      `The manifest to export ended ${job.status} (${job.jobStatus}): ${job.error ?? "no error"}.`,
    );
  }
}

async function countImages(db: Db, manifestId: string): Promise<number> {
  const row = await db.selectFrom("assets").select((eb) => eb.fn.countAll<number>().as("n"))
    .where("manifest_id", "=", manifestId).where("image_key", "is not", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A sink that keeps nothing: the export's memory is then the export's alone. */
function discardingSink(): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({ write() {} });
}

/**
 * Lets the service finish what the job left behind (last frames, thumbnails written, the
 * manifest probe's answers collected) before the baseline is read.
 */
async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
