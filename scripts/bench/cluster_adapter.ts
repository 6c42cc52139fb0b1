/**
 * The one place the clustering section reaches face clustering, so it can be swapped.
 *
 * TO WIRE AFTER MERGING THE CLUSTERING BRANCH (which adds `clusterIndices` in
 * src/vision/face_clustering.ts and the engine op `faces.cluster`): replace the body of
 * {@linkcode startClusterer} with an engine pool running that op, e.g.
 *
 * ```ts
 * const pool = startEnginePool({ size: 1, name: "bench-cluster" });
 * await pool.ready();
 * return {
 *   via: "engine op faces.cluster",
 *   cluster: async (input) => ({ labels: labelsOf(await pool.run("faces.cluster", …)) }),
 *   close: () => pool.close(),
 * };
 * ```
 *
 * mapping {@linkcode ClusterInput} onto the op's payload (embeddings or their similarities,
 * photo of each face, threshold, no locked groups) and its answer onto one cluster index per
 * face; then delete cluster_worker.ts. Until then the section times `clusterFaces`
 * (src/pipeline/clustering.ts) — what the service runs today, on its request thread — in a
 * bench worker.
 *
 * @module
 */
import { WorkerPool } from "../../src/workers/pool.ts";
import type { ClusterBenchOps } from "./cluster_worker.ts";

/** Faces to cluster; the buffers are moved to the worker, not copied. */
export interface ClusterInput {
  /** `photos.length × dim` floats, rows L2-normalised. */
  readonly embeddings: Float32Array<ArrayBuffer>;
  readonly dim: number;
  /** The photo of each face: two faces of one photo never share a cluster. */
  readonly photos: Int32Array<ArrayBuffer>;
  /** Minimum average cosine similarity for two clusters to merge. */
  readonly threshold: number;
}

/** A clustering: the cluster index of each face, in input order. */
export interface ClusterOutput {
  readonly labels: Int32Array;
}

/** A started clustering engine; `close` stops it, abandoning a clustering under way. */
export interface Clusterer {
  /** What runs the clustering, for the report. */
  readonly via: string;
  cluster(input: ClusterInput): Promise<ClusterOutput>;
  close(): void;
}

/** Starts one worker that clusters faces. */
export async function startClusterer(): Promise<Clusterer> {
  const pool = new WorkerPool<ClusterBenchOps>({
    size: 1,
    script: new URL("./cluster_worker.ts", import.meta.url),
    name: "bench-cluster",
  });
  await pool.ready();
  return {
    via: "clusterFaces (src/pipeline/clustering.ts) in a bench worker; not yet faces.cluster",
    cluster: (input) =>
      pool.run("bench.cluster", input, [input.embeddings.buffer, input.photos.buffer]),
    close: () => pool.close(),
  };
}
