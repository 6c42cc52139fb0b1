/**
 * The service's worker pool: a {@linkcode WorkerPool} running the engine worker module, typed
 * by {@linkcode EngineOps}. Starting it here keeps the module, its ops map and its start data
 * together, so no caller can pair a pool with the wrong worker.
 *
 * @module
 */
import { WorkerPool } from "../workers/pool.ts";
import type { EngineInit, EngineOps } from "./ops.ts";

/** A pool of engine workers. */
export type EnginePool = WorkerPool<EngineOps>;

/** The engine worker's module. */
const ENGINE_WORKER = new URL("./worker_main.ts", import.meta.url);

/** How an engine pool is built. */
export interface EnginePoolOptions {
  /** Number of workers. */
  readonly size: number;
  /** Used in worker names and logs. */
  readonly name?: string;
  /** Data every worker receives at start (models, fonts). */
  readonly init?: EngineInit;
}

/** Starts `size` engine workers; await `ready()` before relying on them. */
export function startEnginePool(options: EnginePoolOptions): EnginePool {
  return new WorkerPool<EngineOps>({ ...options, script: ENGINE_WORKER });
}
