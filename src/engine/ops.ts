/**
 * The protocol between the service and its pool workers: every operation the engine worker
 * offers, with its payload and result types, and what each worker receives at start.
 *
 * Both sides are typed by {@linkcode EngineOps}: the pool's `run` (through
 * {@linkcode EnginePool}) and the worker's handlers, so a wrong op name, payload or result is
 * a compile error on either side. The map is built from the imaging and vision engines' own
 * maps, which their handlers implement.
 *
 * @module
 */
import type { ImageOps, ImagingInit } from "../imaging/engine.ts";
import type { ClusteringOps } from "../vision/clustering_engine.ts";
import type { VisionInit, VisionOps } from "../vision/engine.ts";

/** Every operation of the engine worker: image, vision and face-clustering operations. */
export interface EngineOps extends ImageOps, VisionOps, ClusteringOps {}

/** What the pool sends every engine worker at start. */
export interface EngineInit extends ImagingInit {
  /** The models to load; without any, the worker offers no vision operation. */
  readonly vision?: VisionInit;
}
