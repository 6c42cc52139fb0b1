/**
 * `deno task bench`: measures the vision engine on this machine and prints one JSON document.
 *
 * - per model: latency inside a pool worker (onnxruntime-web, WASM) and under native
 *   onnxruntime-node at the same thread count, and their ratio;
 * - per photo, end to end in one worker (decode + orient + faces + align + embed every face +
 *   objects) on the six demo photos, with the time per stage;
 * - photos per second with the default pool (one worker per core);
 * - peak RSS of this process, which holds the same pool the service runs;
 * - manifesting: wall time to process the six demo photos end to end in the real service
 *   (local analyzer), and its step durations;
 * - WebSocket fan-out: latency from an event to its receipt by 500 subscribed clients.
 *
 * Progress goes to stderr; stdout is the JSON alone, so `deno task bench > bench.json` works.
 *
 * @module
 */
import process from "node:process";
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

const PHOTOS = [
  "sample1.jpg",
  "sample2.jpg",
  "sample3.jpg",
  "sample4.jpg",
  "sample5.jpg",
  "sample6.jpg",
];

const args = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    workers: { type: "string" },
    "manifest-runs": { type: "string", default: "3" },
    clients: { type: "string", default: "500" },
  },
});
const RUNS = Number(args.values.runs);
const ROUNDS = Number(args.values.rounds);
// The service's own default pool size (WORKERS, else one worker per core).
const POOL_SIZE = Number(args.values.workers ?? loadConfig().workers);

function progress(message: string): void {
  console.error(`bench: ${message}`);
}

/** Peak resident set size of this process so far (getrusage's maxrss, in KiB). */
function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
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

const catalog = await loadModelCatalog();
const photos = await Promise.all(PHOTOS.map((file) => fixturePhoto(file)));
const defaults = await visionInitFromCatalog();

// 1. Model latency in a worker: every catalog model, each role's alternatives included.
const wasm: Record<string, number[]> = {};
const engineOf: Record<string, string> = {};
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

// 2. End to end, one worker.
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

// 3. Throughput with the default pool, and the peak RSS while it runs.
const throughput = await withPool(POOL_SIZE, defaults, async (pool) => {
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
const peakRss = peakRssMb();

// 4. The whole pipeline in the real service, then WebSocket fan-out.
progress(`manifesting the six demo photos (${args.values["manifest-runs"]} runs)`);
const { measureManifesting } = await import("./bench/manifesting.ts");
const manifesting = await measureManifesting(PHOTOS, {
  runs: Number(args.values["manifest-runs"]),
  workers: POOL_SIZE,
});
progress(`WebSocket fan-out to ${args.values.clients} clients`);
const { measureFanout } = await import("./bench/ws_fanout.ts");
const fanout = await measureFanout({ clients: Number(args.values.clients) });

// 5. The native reference, after the pools are gone so it has the CPU to itself.
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

const report = {
  machine: {
    cores: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    runtime: "onnxruntime-web 1.30.0 (WASM SIMD) vs onnxruntime-node 1.30.0 (CPU)",
    ortThreads: ORT_THREADS,
  },
  models,
  perPhoto: {
    workers: 1,
    photos: PHOTOS,
    faces: facesPerPhoto,
    rounds: ROUNDS,
    endToEnd: summarize(perPhoto),
    endToEndWithCrops: summarize(withCrops),
    stagesMedian: Object.fromEntries(
      Object.entries(stages).map(([stage, ms]) => [stage, summarize(ms).median]),
    ),
  },
  throughput,
  manifesting,
  websocketFanout: fanout,
  memory: { peakRssMb: peakRss, note: "maxrss of the bench process, which ran the default pool" },
};
console.log(JSON.stringify(report, null, 2));
