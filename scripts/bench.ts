/**
 * `deno task bench`: measures the service on this machine and prints one JSON document.
 *
 * Sections (all by default; `--only a,b` picks some):
 *
 * - `models`: per model, latency inside a pool worker (onnxruntime-web, WASM) and under native
 *   onnxruntime-node at the same thread count, and their ratio;
 * - `perPhoto`: per photo, end to end in one worker (decode + orient + faces + align + embed
 *   every face + objects) on the six demo photos, with the time per stage;
 * - `throughput`: photos per second with the default pool (one worker per core);
 * - `manifesting`: wall time to process the six demo photos end to end in the real service
 *   (local analyzer), and its step durations;
 * - `scale`: how manifesting cost grows with the photos (24, 120, 480 generated photos through
 *   the HTTP API), with API latency, event-loop lag and memory during each job, and the
 *   120-photo job repeated to show whether memory settles (scripts/bench/scale.ts);
 * - `export`: exporting a manifest of 400 generated photos (several thousand assets once
 *   processed) as a bundle — wall time, bundle size, and how far RSS rises above its
 *   collected baseline while the ZIP is written (scripts/bench/export.ts);
 * - `websocketFanout`: latency from an event to its receipt by many subscribed clients;
 * - `dashboard`: the manifest page of a 90-photo manifest in headless Chromium — time to the
 *   first tile image and to network idle, cold and warm (scripts/bench/dashboard.ts);
 * - `clustering`: face clustering alone on 1000, 4000 and 10 000 synthetic faces
 *   (scripts/bench/clustering.ts);
 * - `instances`: photos/s of the same photos (`--instances-photos`, default 24) on one SQLite
 *   instance and on one and two instances over PostgreSQL + S3 (radosgw), claim latency, and
 *   the latency of frames followed on the other instance (scripts/bench/instances.ts).
 *
 * Progress goes to stderr; stdout is the JSON alone, so `deno task bench > bench.json` works.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fixturePhoto } from "../tests/fixtures/photos.ts";
import { loadConfig } from "../src/config.ts";
import { type EnginePool, startEnginePool } from "../src/engine/engine_pool.ts";
import type { AnalyzeRequest, TimeModelRequest } from "../src/vision/engine.ts";
import { loadModelCatalog, modelPath } from "../src/vision/model_catalog.ts";
import { ORT_THREADS } from "../src/vision/ort_runner.ts";
import { visionInitFromCatalog } from "../src/vision/vision_init.ts";
import type { VisionModels } from "../src/vision/vision_models.ts";
import { summarize } from "./bench/stats.ts";
import { maxRssMb } from "./bench/memory.ts";
import { SOURCE_PHOTOS } from "./bench/photo_recipe.ts";

const SECTIONS = [
  "models",
  "perPhoto",
  "throughput",
  "manifesting",
  "scale",
  "export",
  "websocketFanout",
  "dashboard",
  "clustering",
  "instances",
] as const;
type Section = typeof SECTIONS[number];

const args = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string" },
    runs: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    workers: { type: "string" },
    "manifest-runs": { type: "string", default: "3" },
    clients: { type: "string", default: "500" },
    "scale-max": { type: "string", default: "480" },
    "scale-sizes": { type: "string" },
    "export-photos": { type: "string", default: "400" },
    "export-sample-ms": { type: "string", default: "10" },
    repeat: { type: "string", default: "5" },
    batch: { type: "string", default: "12" },
    "poll-ms": { type: "string", default: "50" },
    "manifest-poll-ms": { type: "string", default: "500" },
    "scale-timeout": { type: "string", default: "3600" },
    seed: { type: "string", default: "1" },
    "cluster-max": { type: "string", default: "10000" },
    "cluster-timeout": { type: "string", default: "600" },
    "instances-photos": { type: "string", default: "24" },
  },
});

/** A flag's value as a whole number ≥ `min`, or a clear refusal. */
function count(flag: keyof typeof args.values, min = 1): number {
  const text = args.values[flag] as string;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${flag} must be a whole number of at least ${min}, not "${text}".`);
  }
  return value;
}

/** `--scale-sizes 24,90`: manifest sizes for the `scale` section, smallest first. */
function scaleSizes(): number[] | undefined {
  const text = args.values["scale-sizes"];
  if (text === undefined) return undefined;
  const sizes = text.split(",").map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new Error(`--scale-sizes takes whole numbers of photos ≥ 1, e.g. 24,90, not "${text}".`);
  }
  return sizes.toSorted((a, b) => a - b);
}

const only = args.values.only?.split(",").map((name) => name.trim()) ?? [...SECTIONS];
for (const name of only) {
  if (!SECTIONS.includes(name as Section)) {
    throw new Error(`--only: unknown section "${name}"; the sections are ${SECTIONS.join(", ")}.`);
  }
}
const wanted = (section: Section) => only.includes(section);
const RUNS = count("runs");
const ROUNDS = count("rounds");
// The service's own default pool size (WORKERS, else one worker per core).
const POOL_SIZE = args.values.workers ? count("workers") : loadConfig().workers;

function progress(message: string): void {
  console.error(`bench: ${message}`);
}

async function withPool<T>(
  size: number,
  vision: VisionModels,
  use: (pool: EnginePool) => Promise<T>,
): Promise<T> {
  const pool = startEnginePool({ size, name: "bench", init: { vision } });
  try {
    await pool.ready();
    return await use(pool);
  } finally {
    pool.close();
  }
}

const report: Record<string, unknown> = {
  machine: {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    runtime: "onnxruntime-web 1.30.0 (WASM SIMD) vs onnxruntime-node 1.30.0 (CPU)",
    ortThreads: ORT_THREADS,
    workers: POOL_SIZE,
  },
};
const catalog = await loadModelCatalog();
const photos = await Promise.all(SOURCE_PHOTOS.map((file) => fixturePhoto(file)));
const defaults = await visionInitFromCatalog();

// Model latency in a worker: every catalog model, each role's alternatives included. The
// native reference runs at the end, once the pools are gone, so it has the CPU to itself.
const wasm: Record<string, number[]> = {};
const engineOf: Record<string, string> = {};
if (wanted("models")) {
  const alternatives: VisionModels[] = [defaults];
  for (const entry of catalog) {
    const used = Object.values(defaults).some((ref) => ref?.name === entry.name);
    if (!used && entry.role === "face_detector") {
      alternatives.push({
        faceDetector: { name: entry.name, path: modelPath(entry), adapter: entry.adapter },
      });
    }
  }
  for (const vision of alternatives) {
    await withPool(1, vision, async (pool) => {
      for (const engine of pool.stats().engines) {
        const name = engine.split(":")[1];
        const entry = catalog.find((model) => model.name === name);
        if (!entry) continue;
        progress(`timing ${name} in a worker (${RUNS} runs)`);
        const request: TimeModelRequest = {
          engine,
          dims: entry.inputs[0].shape,
          warmup: 3,
          runs: RUNS,
        };
        wasm[name] = await pool.run("vision.time_model", request);
        engineOf[name] = engine;
      }
    });
  }
}

if (wanted("perPhoto")) {
  const perPhoto: number[] = [];
  const withCrops: number[] = [];
  const stages: Record<string, number[]> = {};
  let facesPerPhoto: number[] = [];
  await withPool(1, defaults, async (pool) => {
    const analyze = (request: AnalyzeRequest) => pool.run("vision.analyze", request);
    await analyze({ bytes: photos[0] }); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      progress(`end to end, round ${round + 1} of ${ROUNDS}`);
      facesPerPhoto = [];
      for (const bytes of photos) {
        let start = performance.now();
        const result = await analyze({ bytes: bytes.slice(), crops: false });
        perPhoto.push(performance.now() - start);
        facesPerPhoto.push(result.faces.length);
        for (const [stage, ms] of Object.entries(result.timings)) (stages[stage] ??= []).push(ms);
        start = performance.now();
        await analyze({ bytes: bytes.slice() });
        withCrops.push(performance.now() - start);
      }
    }
  });
  report.perPhoto = {
    workers: 1,
    photos: SOURCE_PHOTOS,
    faces: facesPerPhoto,
    rounds: ROUNDS,
    endToEnd: summarize(perPhoto),
    endToEndWithCrops: summarize(withCrops),
    stagesMedian: Object.fromEntries(
      Object.entries(stages).map(([stage, ms]) => [stage, summarize(ms).median]),
    ),
  };
}

if (wanted("throughput")) {
  report.throughput = await withPool(POOL_SIZE, defaults, async (pool) => {
    const idleRss = Math.round(Deno.memoryUsage().rss / 2 ** 20);
    await Promise.all(photos.map((bytes) => pool.run("vision.analyze", { bytes: bytes.slice() })));
    progress(`throughput with ${POOL_SIZE} workers`);
    const total = photos.length * ROUNDS;
    const start = performance.now();
    const jobs = Array.from(
      { length: total },
      (_, i) =>
        pool.run("vision.analyze", { bytes: photos[i % photos.length].slice(), crops: false }),
    );
    await Promise.all(jobs);
    const seconds = (performance.now() - start) / 1000;
    return {
      workers: POOL_SIZE,
      photos: total,
      seconds: Math.round(seconds * 100) / 100,
      photosPerSecond: Math.round((total / seconds) * 100) / 100,
      rssWithPoolIdleMb: idleRss,
    };
  });
}

if (wanted("manifesting")) {
  const runs = count("manifest-runs");
  progress(`manifesting the six demo photos (${runs} runs)`);
  const { measureManifesting } = await import("./bench/manifesting.ts");
  report.manifesting = await measureManifesting(SOURCE_PHOTOS, { runs, workers: POOL_SIZE });
}

if (wanted("scale")) {
  const { measureScale } = await import("./bench/scale.ts");
  report.scale = await measureScale({
    scaleMax: count("scale-max"),
    sizes: scaleSizes(),
    repeat: count("repeat", 0),
    seed: count("seed", 0),
    batch: count("batch"),
    pollMs: count("poll-ms"),
    manifestPollMs: count("manifest-poll-ms"),
    timeoutS: count("scale-timeout"),
    workers: POOL_SIZE,
  }, (message) => progress(`scale: ${message}`));
}

if (wanted("export")) {
  const { measureExportSection } = await import("./bench/export.ts");
  report.export = await measureExportSection({
    photos: count("export-photos"),
    seed: count("seed", 0),
    batch: count("batch"),
    pollMs: count("poll-ms"),
    manifestPollMs: count("manifest-poll-ms"),
    timeoutS: count("scale-timeout"),
    sampleMs: count("export-sample-ms"),
    workers: POOL_SIZE,
  }, (message) => progress(`export: ${message}`));
}

if (wanted("websocketFanout")) {
  progress(`WebSocket fan-out to ${args.values.clients} clients`);
  const { measureFanout } = await import("./bench/ws_fanout.ts");
  report.websocketFanout = await measureFanout({ clients: count("clients") });
}

if (wanted("models")) {
  const { timeNative } = await import("./bench/native.ts");
  const models: Record<string, unknown> = {};
  for (const [name, samples] of Object.entries(wasm)) {
    const entry = catalog.find((model) => model.name === name)!;
    progress(`timing ${name} natively (${RUNS} runs)`);
    const native = await timeNative(modelPath(entry), entry.inputs[0].shape, {
      threads: ORT_THREADS,
      warmup: 3,
      runs: RUNS,
    });
    const w = summarize(samples);
    const n = summarize(native);
    models[name] = {
      engine: engineOf[name],
      input: entry.inputs[0].shape,
      wasm: w,
      native: n,
      ratio: Math.round((w.median / n.median) * 100) / 100,
    };
  }
  report.models = models;
}

if (wanted("dashboard")) {
  const { benchDashboard } = await import("./bench/dashboard.ts");
  report.dashboard = await benchDashboard({
    runs: 5,
    progress: (message) => progress(`dashboard: ${message}`),
  });
}

// Its own child processes, so late: nothing else competes with them for the CPU.
if (wanted("instances")) {
  const { measureInstances } = await import("./bench/instances.ts");
  progress(`several instances (${args.values["instances-photos"]} photos)`);
  report.instances = await measureInstances({
    photos: count("instances-photos"),
    seed: count("seed", 0),
    workers: POOL_SIZE,
  });
}

// Its own child processes, so last: nothing else competes with them for the CPU.
if (wanted("clustering")) {
  const { measureClustering } = await import("./bench/clustering.ts");
  report.clustering = await measureClustering({
    clusterMax: count("cluster-max"),
    timeoutS: count("cluster-timeout"),
    seed: count("seed", 0),
    threshold: loadConfig().faceMatchThreshold,
  }, (message) => progress(message));
}

const { machine, ...measured } = report;
console.log(JSON.stringify(
  {
    machine,
    // In the order of the list above, whatever order they ran in.
    ...Object.fromEntries(SECTIONS.filter((s) => s in measured).map((s) => [s, measured[s]])),
    memory: {
      peakRssMb: maxRssMb(),
      note: "maxrss of the bench process, which ran the pools and the service (not clustering)",
    },
  },
  null,
  2,
));
