/**
 * Face clustering as a worker operation, `faces.cluster`: the similarity matrix is built by
 * ORT and the agglomeration runs here, so neither ever blocks the request thread.
 *
 * @module
 */
import type { LoadedEngine } from "../workers/protocol.ts";
import { clusterIndices } from "./face_clustering.ts";
import { onnxSimilarityRows } from "./similarity_model.ts";

/** What `faces.cluster` is asked: faces by index, their embeddings packed one after another. */
export interface ClusterRequest {
  /** `count × dim` L2-normalised values. */
  readonly embeddings: Float32Array;
  readonly dim: number;
  /** The photo of each face, as a number: faces with one photo never share a cluster. */
  readonly photos: Int32Array;
  /** Minimum average similarity for two clusters to merge. */
  readonly threshold: number;
  /** Groups fixed by hand, as face indices. */
  readonly locked: readonly (readonly number[])[];
}

/** The face-clustering operation of a pool worker. */
export interface ClusteringOps {
  "faces.cluster": { payload: ClusterRequest; result: number[][] };
}

/** The clustering engine; its ORT session is made on first use. */
export function loadClustering(): LoadedEngine<ClusteringOps> {
  return {
    engines: [],
    handlers: {
      "faces.cluster": async (request: ClusterRequest) => {
        const count = request.photos.length;
        const clusters = await clusterIndices({
          count,
          photos: request.photos,
          threshold: request.threshold,
          locked: request.locked,
          similarity: onnxSimilarityRows(request.embeddings, request.dim),
        });
        return { result: clusters };
      },
    },
  };
}
