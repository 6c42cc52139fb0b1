/**
 * The one place the clustering section reaches face clustering: the service's own engine
 * worker and its `faces.cluster` operation (the similarity matrix by ORT, then the
 * agglomeration), exactly as the face-matching step runs it.
 *
 * @module
 */
import { startEnginePool } from "../../src/engine/engine_pool.ts";

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

/** Starts one engine worker that clusters faces. */
export async function startClusterer(): Promise<Clusterer> {
  const pool = startEnginePool({ size: 1, name: "bench-cluster" });
  await pool.ready();
  return {
    via: "engine op faces.cluster (ORT MatMul similarities, linked-pair agglomeration)",
    cluster: async (input) => {
      // Read before the run: the buffers are moved to the worker.
      const count = input.photos.length;
      const clusters = await pool.run(
        "faces.cluster",
        { ...input, locked: [] },
        [input.embeddings.buffer, input.photos.buffer],
      );
      const labels = new Int32Array(count);
      clusters.forEach((members, label) => members.forEach((face) => (labels[face] = label)));
      return { labels };
    },
    close: () => pool.close(),
  };
}
