/**
 * `deno task bench:profile`: where the WASM/native latency gap comes from. Runs each default
 * model with ONNX Runtime's own profiler under onnxruntime-web (WASM) and onnxruntime-node,
 * one thread each, and prints per op type the time per run in both and their ratio (JSON).
 *
 * It runs ORT on the main thread of this script (and of a child process), which is fine for a one-off measurement; the
 * service itself only ever runs ORT inside pool workers.
 *
 * @module
 */
import * as web from "onnxruntime-web";
import { loadModelCatalog, modelPath } from "../../src/vision/model_catalog.ts";
import { syntheticInput } from "../../src/vision/tensor_runner.ts";

const RUNS = 10;

interface ProfileEvent {
  cat: string;
  dur: number;
  args?: { op_name?: string };
}

/** Microseconds per op type, summed over the profiled runs. */
function byOpType(events: readonly ProfileEvent[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const event of events) {
    const op = event.args?.op_name;
    if (event.cat !== "Node" || !op) continue;
    totals.set(op, (totals.get(op) ?? 0) + event.dur);
  }
  return totals;
}

/**
 * The WASM build writes its profile straight to stdout, so it runs in a child process of this
 * script (`--wasm <model> <dims>`) whose output is parsed here.
 */
async function profileWeb(path: string, dims: number[]): Promise<Map<string, number>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      import.meta.filename!,
      "--wasm",
      path,
      JSON.stringify(dims),
    ],
    stdout: "piped",
    stderr: "inherit",
  });
  const { success, stdout } = await child.output();
  if (!success) throw new Error(`Profiling ${path} under onnxruntime-web failed.`);
  const text = new TextDecoder().decode(stdout);
  return byOpType(JSON.parse(text.slice(text.indexOf("["))));
}

async function printWebProfile(path: string, dims: number[]): Promise<void> {
  web.env.wasm.numThreads = 1;
  const session = await web.InferenceSession.create(await Deno.readFile(path), {
    enableProfiling: true,
  });
  const feeds = { [session.inputNames[0]]: new web.Tensor("float32", syntheticInput(dims), dims) };
  for (let i = 0; i < RUNS; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
}

async function profileNative(path: string, dims: number[]): Promise<Map<string, number>> {
  // Loaded only in the parent: the native addon needs --allow-ffi, the WASM child does not.
  const { nativeOrt: native } = await import("./native.ts");
  const dir = await Deno.makeTempDir();
  const session = await native.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: `${dir}/profile`,
  });
  const feeds = {
    [session.inputNames[0]]: new native.Tensor("float32", syntheticInput(dims), dims),
  };
  for (let i = 0; i < RUNS; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const events: ProfileEvent[] = [];
  for await (const entry of Deno.readDir(dir)) {
    events.push(...JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`)));
  }
  await Deno.remove(dir, { recursive: true });
  return byOpType(events);
}

if (Deno.args[0] === "--wasm") {
  await printWebProfile(Deno.args[1], JSON.parse(Deno.args[2]));
  Deno.exit(0);
}

const report: Record<string, unknown> = {};
for (const entry of await loadModelCatalog()) {
  const dims = [...entry.inputs[0].shape];
  const path = modelPath(entry);
  const wasm = await profileWeb(path, dims);
  const cpu = await profileNative(path, dims);
  const ops = [...wasm.keys()].sort((a, b) => wasm.get(b)! - wasm.get(a)!);
  const ms = (us: number) => Math.round(us / RUNS / 10) / 100;
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  // Each runtime fuses differently (Conv, FusedConv, NCHWc Conv): compare them as one family.
  const convolution = (m: Map<string, number>) =>
    [...m].filter(([op]) => op.includes("Conv")).reduce((sum, [, us]) => sum + us, 0);
  report[entry.name] = {
    totalMs: { wasm: ms(total(wasm)), native: ms(total(cpu)) },
    convolutions: {
      wasmMs: ms(convolution(wasm)),
      nativeMs: ms(convolution(cpu)),
      ratio: Math.round((convolution(wasm) / convolution(cpu)) * 10) / 10,
      shareOfWasm: Math.round((convolution(wasm) / total(wasm)) * 100) / 100,
    },
    byOpType: Object.fromEntries(ops.map((op) => {
      const w = wasm.get(op)!;
      const n = cpu.get(op) ?? 0;
      return [op, {
        wasmMs: ms(w),
        nativeMs: ms(n),
        ratio: n > 0 ? Math.round((w / n) * 10) / 10 : null,
        shareOfWasm: Math.round((w / total(wasm)) * 100) / 100,
      }];
    })),
  };
}
console.log(JSON.stringify(report, null, 2));
