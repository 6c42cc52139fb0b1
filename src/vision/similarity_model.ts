/**
 * Face-to-face similarities as a matrix product run by ONNX Runtime: for L2-normalised
 * embeddings the cosine similarity is the dot product, and a block of rows of `E · Eᵀ` is one
 * `MatMul` — many times faster in ORT's SIMD kernels than in JavaScript loops. Worker only.
 *
 * @module
 */
import { DataType, encodeModel } from "./onnx/onnx_proto.ts";
import { loadOnnxModel } from "./ort_runner.ts";
import type { SimilarityRows } from "./face_clustering.ts";
import type { TensorRunner } from "./tensor_runner.ts";

/** The graph `rows[b, d] × columns[d, n] → similarity[b, n]`, every size symbolic. */
export function similarityGraph(): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetVersion: 13,
    producerName: "manifest-studio",
    producerVersion: "1",
    graphName: "face_similarity",
    nodes: [{ opType: "MatMul", name: "similarity", inputs: ["rows", "columns"], outputs: ["s"] }],
    initializers: [],
    inputs: [
      { name: "rows", elemType: DataType.FLOAT, shape: ["b", "d"] },
      { name: "columns", elemType: DataType.FLOAT, shape: ["d", "n"] },
    ],
    outputs: [{ name: "s", elemType: DataType.FLOAT, shape: ["b", "n"] }],
  });
}

let session: Promise<TensorRunner> | null = null;

/**
 * Similarity rows of `embeddings` (`dim` values per face, one face after the other) computed
 * by ORT, one block of rows per call. The session is made once per worker.
 */
export function onnxSimilarityRows(embeddings: Float32Array, dim: number): SimilarityRows {
  const n = embeddings.length / dim;
  const columns = new Float32Array(dim * n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) columns[d * n + i] = embeddings[i * dim + d];
  }
  session ??= loadOnnxModel(similarityGraph());
  return async (start, end) => {
    const runner = await session!;
    const out = await runner.run({
      rows: { data: embeddings.subarray(start * dim, end * dim), dims: [end - start, dim] },
      columns: { data: columns, dims: [dim, n] },
    });
    return out.s.data;
  };
}
