/**
 * The reference for WASM latency: the same ONNX files under native `onnxruntime-node` at the
 * same thread count. Loaded only by the benchmark (a large native package, never at run time).
 *
 * @module
 */
// Pinned inline on purpose: only the benchmark needs this 110 MB native package, so it stays
// out of deno.json and `deno install` (CI, `deno task start`) never downloads it.
// deno-lint-ignore no-import-prefix
import * as ort from "npm:onnxruntime-node@1.30.0";
import { syntheticInput } from "../../src/vision/tensor_runner.ts";

/** Runs the model at `path` `warmup + runs` times on the same synthetic input as the worker. */
export async function timeNative(
  path: string,
  dims: readonly number[],
  options: { threads: number; warmup: number; runs: number },
): Promise<number[]> {
  const session = await ort.InferenceSession.create(path, {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const data = syntheticInput(dims);
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, [...dims]) };
  const milliseconds: number[] = [];
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    if (i >= options.warmup) milliseconds.push(performance.now() - start);
  }
  await session.release();
  return milliseconds;
}

/** The native runtime itself, for the op-level profile. */
export { ort as nativeOrt };
