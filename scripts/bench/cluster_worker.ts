/**
 * A bench worker running today's face clustering (`clusterFaces`, src/pipeline/clustering.ts)
 * so the clustering section can time it, stop it, and keep the bench's own thread free. Only
 * {@linkcode ./cluster_adapter.ts} starts it; it goes away once the engine has `faces.cluster`.
 *
 * @module
 */
import { clusterFaces } from "../../src/pipeline/clustering.ts";
import { serveWorker } from "../../src/workers/worker_host.ts";
import type { ClusterInput, ClusterOutput } from "./cluster_adapter.ts";

/** The operation of this worker. */
export interface ClusterBenchOps {
  "bench.cluster": { payload: ClusterInput; result: ClusterOutput };
}

serveWorker<ClusterBenchOps, null>(() =>
  Promise.resolve({
    engines: ["clustering"],
    handlers: {
      "bench.cluster": ({ embeddings, dim, photos, threshold }) => {
        const faces = Array.from(photos, (photo, i) => ({
          id: String(i),
          photoId: String(photo),
          embedding: embeddings.subarray(i * dim, (i + 1) * dim),
        }));
        const labels = new Int32Array(photos.length);
        clusterFaces(faces, { threshold }).forEach((members, cluster) => {
          for (const id of members) labels[Number(id)] = cluster;
        });
        return { result: { labels }, transfer: [labels.buffer] };
      },
    },
  })
);
