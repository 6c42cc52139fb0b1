/**
 * The one thing every model adapter needs from an inference engine.
 *
 * Adapters depend on this interface, not on onnxruntime, so their pre- and post-processing
 * can be tested with a scripted runner and the engine stays swappable.
 *
 * @module
 */

/** A float tensor: its values and its shape. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Runs one model: named float inputs in, named float outputs out. */
export interface TensorRunner {
  /** The model's input names, in order. */
  readonly inputNames: readonly string[];
  /** The model's output names, in order. */
  readonly outputNames: readonly string[];
  run(inputs: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>>;
}

/** A deterministic input of shape `dims` with values in [0, 1] (for timing a model). */
export function syntheticInput(dims: readonly number[]): Float32Array {
  const size = dims.reduce((product, n) => product * n, 1);
  return Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 255) / 255);
}
