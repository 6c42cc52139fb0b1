/**
 * The compact parity reference of the CenterNet detector: what the original TFJS graph model
 * produced for one test photo, small enough to commit (a few hundred values instead of the
 * 1.4 M floats of the outputs).
 *
 * @module
 */

/** Sums and extremes of one output, over every element. */
export interface OutputSummary {
  /** Output shape (NHWC, as the TFJS graph produces it). */
  shape: number[];
  min: number;
  max: number;
  sum: number;
}

/** The recorded reference; written by `record_reference.ts`, read by `convert_test.ts`. */
export interface CenterNetReference {
  /** How the reference was made, for people reading the file. */
  note: string;
  /** Packages and versions that ran the original model. */
  producer: Record<string, string>;
  /** `package@version` the model files come from and their SHA-256s. */
  model: {
    package: string;
    json: string;
    jsonSha256: string;
    weights: string;
    weightsSha256: string;
  };
  /** The photo and the SHA-256 of its NHWC float32 512×512×3 input (little-endian bytes). */
  input: { photo: string; shape: number[]; sha256: string };
  /** Whole-output summaries. */
  keypoints: OutputSummary;
  wh: OutputSummary;
  /**
   * The `top` largest heat-map values: flat NHWC indices into `tower_0/keypoints`, their values,
   * and the 4 `tower_0/wh` values at the same pixel (`wh[i*4 .. i*4+3]`).
   */
  top: { index: number[]; value: number[]; wh: number[] };
  /** Every `stride`-th element of both outputs (flat NHWC order), starting at 0. */
  samples: { stride: number; keypoints: number[]; wh: number[] };
}

/** Indices of the `k` largest values, largest first; ties keep the lower index first. */
export function topKIndices(values: Float32Array, k: number): number[] {
  const order = Array.from(values.keys());
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, k);
}

/** Minimum, maximum and (float64) sum of `values`. */
export function summarize(values: Float32Array, shape: number[]): OutputSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  return { shape, min, max, sum };
}

/** Every `stride`-th element of `values`, from index 0. */
export function strided(values: Float32Array, stride: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += stride) out.push(values[i]);
  return out;
}
