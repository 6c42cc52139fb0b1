/**
 * ONNX sessions on onnxruntime-web (WASM). Imported only by pool workers: once ORT starts in
 * a thread it replaces `globalThis.Worker`, so it must never load on the request thread.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import type { FloatTensor, TensorRunner } from "./tensor_runner.ts";

/** One thread per session: on a 2-core machine several workers beat threads per worker. */
export const ORT_THREADS = 1;

/** Loads an ONNX model from its bytes into a {@linkcode TensorRunner}. */
export async function loadOnnxModel(bytes: Uint8Array): Promise<TensorRunner> {
  ort.env.wasm.numThreads = ORT_THREADS;
  const session = await ort.InferenceSession.create(bytes);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, input] of Object.entries(inputs)) {
        feeds[name] = new ort.Tensor("float32", input.data, input.dims);
      }
      const results = await session.run(feeds);
      const out: Record<string, FloatTensor> = {};
      for (const [name, tensor] of Object.entries(results)) {
        out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
        tensor.dispose();
      }
      return out;
    },
  };
}
