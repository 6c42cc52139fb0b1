/**
 * The main thread's typed view of `vision.analyze`, which runs in pool workers.
 *
 * @module
 */
import type { WorkerPool } from "../workers/pool.ts";
import type { AnalyzeRequest, ImageAnalysis } from "./engine.ts";

/**
 * Analyses an image in a worker. `bytes` is moved to the worker (it is unusable afterwards):
 * callers pass bytes they just read from storage.
 */
export function analyzeImage(
  pool: WorkerPool,
  bytes: Uint8Array,
  options: Omit<AnalyzeRequest, "bytes"> = {},
): Promise<ImageAnalysis> {
  const request: AnalyzeRequest = { ...options, bytes };
  return pool.run<ImageAnalysis>("vision.analyze", request, [bytes.buffer as ArrayBuffer]);
}
