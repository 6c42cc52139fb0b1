/**
 * One measured manifest job against a running service: `photos` generated photos uploaded in
 * batches through the HTTP API, then `POST …/process` and, until the job ends, two polling
 * clients (progress: cheap; the whole manifest: what a dashboard reads), an event-loop lag
 * monitor and an RSS sampler.
 *
 * @module
 */
import { collectGarbage, maxRssMb, rssMb, sampleRss } from "./memory.ts";
import { type LoopLag, monitorLoopLag } from "./loop_lag.ts";
import { type ProbeSummary, startProbe } from "./latency_probe.ts";
import { generatePhotos } from "./photo_set.ts";

/** How one job is run. */
export interface ManifestJobOptions {
  readonly photos: number;
  /** Seed of the photo set; give each job its own so no two manifests share a photo. */
  readonly seed: number;
  /** Photos per upload request. */
  readonly batch: number;
  /** Pause between a progress probe's answer and its next request. */
  readonly pollMs: number;
  /**
   * The same for the whole-manifest probe. Longer: its answer grows to megabytes, and at the
   * progress probe's pace its own serialising would be a good part of the thread's work.
   */
  readonly manifestPollMs: number;
  /** The job is cancelled when it has not ended after this long. */
  readonly timeoutS: number;
}

/** What one job cost. Times are wall-clock; memory in MiB. */
export interface ManifestJobResult {
  /** The manifest the job processed, for a section that goes on with it (the export). */
  readonly manifestId: string;
  readonly photos: number;
  readonly seed: number;
  /** Making and uploading the photos (not part of `wallSeconds`). */
  readonly uploadSeconds: number;
  /** The manifest's status afterwards: `READY`, or `ERROR` with `error`. */
  readonly status: string;
  /** The job's end as the progress endpoint reads it, or `timeout`. */
  readonly jobStatus: string;
  readonly error: string | null;
  readonly assets: number;
  readonly faces: number;
  readonly identities: number;
  /** From `POST …/process` until the progress endpoint reported the job's end. */
  readonly wallSeconds: number;
  readonly secondsPerPhoto: number;
  /** Each step's duration as the job recorded it (null: not reached). */
  readonly stepsMs: Record<string, number | null>;
  readonly api: { readonly progress: ProbeSummary; readonly manifest: ProbeSummary };
  /** Lag of the thread serving HTTP; each long stall names the step running when it began. */
  readonly eventLoop: Omit<LoopLag, "longest"> & {
    readonly longest: readonly { ms: number; startS: number; step: string }[];
  };
  readonly memory: {
    readonly rssBeforeMb: number;
    /** Highest RSS sampled during the job. */
    readonly jobPeakRssMb: number;
    /** The process's maxrss after the job: the peak of everything so far. */
    readonly processPeakRssMb: number;
    /** After the job, a garbage collection (when exposed) and a second's rest. */
    readonly rssAfterMb: number;
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;
const TERMINAL = new Set(["complete", "error", "cancelled"]);

/** Runs one manifest job on the service at `baseUrl` and measures it. */
export async function measureManifestJob(
  baseUrl: string,
  options: ManifestJobOptions,
  log: (message: string) => void,
): Promise<ManifestJobResult> {
  const call = async (method: string, path: string, body?: BodyInit): Promise<Json> => {
    const headers = typeof body === "string" ? { "content-type": "application/json" } : undefined;
    const response = await fetch(`${baseUrl}${path}`, { method, body, headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const name = `Bench ${options.photos} photos, seed ${options.seed}`;
  const manifest = await call("POST", "/api/manifests", JSON.stringify({ name }));
  const base = `/api/manifests/${manifest.id}`;

  const uploadStart = performance.now();
  let form = new FormData();
  let inForm = 0;
  const send = async () => {
    await call("POST", `${base}/uploads`, form);
    form = new FormData();
    inForm = 0;
  };
  for await (const photo of generatePhotos(options.photos, options.seed)) {
    form.append(
      "file",
      new File([photo.bytes as Uint8Array<ArrayBuffer>], photo.name, { type: "image/jpeg" }),
    );
    if (++inForm === options.batch) await send();
    if ((photo.index + 1) % 48 === 0) log(`uploaded ${photo.index + 1} of ${options.photos}`);
  }
  if (inForm > 0) await send();
  const uploadSeconds = (performance.now() - uploadStart) / 1000;

  collectGarbage();
  const rssBeforeMb = rssMb();
  const lag = monitorLoopLag();
  const rss = sampleRss();
  // Wall-clock time of the monitor's start, to place stalls among the job's own timestamps.
  const monitorEpochMs = Date.now() - lag.elapsedMs();
  let lastStep: string | null = null;
  const { promise: ended, resolve: end } = Promise.withResolvers<void>();
  const start = performance.now();
  const { job_id: jobId } = await call("POST", `${base}/process`);
  const progressProbe = startProbe(baseUrl, `${base}/progress`, {
    intervalMs: options.pollMs,
    onBody: (body: Json) => {
      const step = body.current_step ?? null;
      if (step !== lastStep) log(`${options.photos} photos: ${step ?? body.status}`);
      lastStep = step;
      if (TERMINAL.has(body.status)) end();
    },
  });
  const manifestProbe = startProbe(baseUrl, base, { intervalMs: options.manifestPollMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    ended.then(() => false),
    new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(true), options.timeoutS * 1000)
    ),
  ]);
  clearTimeout(timer);
  const wallSeconds = (performance.now() - start) / 1000;
  if (timedOut) {
    log(`${options.photos} photos: no end after ${options.timeoutS} s, cancelling`);
    await call("POST", `/api/jobs/${jobId}/cancel`).catch(() => {});
    await ended;
  }
  const api = { progress: await progressProbe.stop(), manifest: await manifestProbe.stop() };
  const loop = lag.stop();
  const jobPeakRssMb = rss.stop();

  const progress = await call("GET", `${base}/progress`);
  const final = await call("GET", base);
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const stepAt = stepFinder(progress);
  return {
    manifestId: manifest.id,
    photos: options.photos,
    seed: options.seed,
    uploadSeconds: round(uploadSeconds, 2),
    status: final.status,
    jobStatus: timedOut ? "timeout" : progress.status,
    error: progress.error ?? final.error ?? null,
    assets: final.asset_count,
    faces: progress.progress.faces_embedded ?? 0,
    identities: final.identities.length,
    wallSeconds: round(wallSeconds, 2),
    secondsPerPhoto: round(wallSeconds / options.photos, 3),
    stepsMs: Object.fromEntries(
      Object.entries(progress.steps as Record<string, { duration_ms: number | null }>)
        .map(([step, state]) => [step, state.duration_ms]),
    ),
    api,
    eventLoop: {
      ...loop,
      longest: loop.longest.map((stall) => ({
        ...stall,
        step: stepAt(monitorEpochMs + stall.startS * 1000),
      })),
    },
    memory: {
      rssBeforeMb,
      jobPeakRssMb,
      processPeakRssMb: maxRssMb(),
      rssAfterMb: rssMb(),
    },
  };
}

/**
 * Which step was running at a wall-clock time, from the job's `started_at` and its steps'
 * durations (the steps run one after another, in the order the progress view lists them).
 * Not from what the polls saw: a step that blocks the event loop is over before any poll
 * is answered, so the polls never see it.
 */
function stepFinder(progress: Json): (epochMs: number) => string {
  const started = Date.parse(progress.started_at ?? "");
  const steps = Object.entries(progress.steps as Record<string, { duration_ms: number | null }>);
  return (epochMs) => {
    if (!(epochMs >= started)) return "before the job started";
    let end = started;
    for (const [step, { duration_ms: duration }] of steps) {
      if (duration === null) return step; // the step the job ended in
      end += duration;
      if (epochMs < end) return step;
    }
    return "after the last step";
  };
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
