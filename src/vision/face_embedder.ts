/**
 * Face embeddings: an aligned 112×112 face to a unit-length vector, compared by cosine.
 *
 * @module
 */
import { ALIGNED_SIZE } from "./alignment.ts";
import { type RgbImage, toPlanar } from "../imaging/raster.ts";
import type { TensorRunner } from "./tensor_runner.ts";

/** Turns an aligned face into an L2-normalised embedding. */
export interface FaceEmbedder {
  embed(aligned: RgbImage): Promise<Float32Array>;
}

/** Any ArcFace-style ONNX model: `[1,3,112,112]` RGB `(v-127)/128` → `[1,D]`. */
export class ArcFaceEmbedder implements FaceEmbedder {
  readonly #runner: TensorRunner;

  constructor(runner: TensorRunner) {
    this.#runner = runner;
  }

  async embed(aligned: RgbImage): Promise<Float32Array> {
    if (aligned.width !== ALIGNED_SIZE || aligned.height !== ALIGNED_SIZE) {
      throw new Error(`The embedder takes ${ALIGNED_SIZE}×${ALIGNED_SIZE} aligned faces.`);
    }
    const out = await this.#runner.run({
      [this.#runner.inputNames[0]]: {
        data: toPlanar(aligned, 127, 128),
        dims: [1, 3, ALIGNED_SIZE, ALIGNED_SIZE],
      },
    });
    return l2Normalize(out[this.#runner.outputNames[0]].data);
  }
}

/** A copy of `vector` scaled to length 1. */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm === 0) throw new Error("Cannot normalise a zero vector.");
  return vector.map((value) => value / norm);
}

/** Cosine similarity of two unit vectors (their dot product), in [-1, 1]. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error("Embeddings of different lengths.");
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}
