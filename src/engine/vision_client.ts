/**
 * The main thread's typed view of `vision.analyze`, which runs in pool workers.
 *
 * @module
 */
import type { AnalyzeRequest, ImageAnalysis } from "../vision/engine.ts";
import type { EnginePool } from "./engine_pool.ts";

/**
 * Analyses an image in a worker. `bytes` is moved to the worker (it is unusable afterwards):
 * callers pass bytes they just read from storage.
 */
export function analyzeImage(
  pool: EnginePool,
  bytes: Uint8Array,
  options: Omit<AnalyzeRequest, "bytes"> = {},
): Promise<ImageAnalysis> {
  const request: AnalyzeRequest = { ...options, bytes };
  return pool.run("vision.analyze", request, [bytes.buffer as ArrayBuffer]);
}
