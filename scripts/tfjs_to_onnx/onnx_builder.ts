/**
 * The ONNX graph under construction, plus what the converter knows about each TensorFlow
 * tensor: its ONNX name, its static shape in TensorFlow's (NHWC) terms, and whether the ONNX
 * tensor holds it channels-first.
 *
 * @module
 */

import {
  DataType,
  type OnnxAttributeValue,
  type OnnxNode,
  type OnnxTensor,
} from "../../src/vision/onnx/onnx_proto.ts";
import type { TfConst } from "./tfjs_graph.ts";

/** A TensorFlow tensor as it exists in the ONNX graph. */
export interface Value {
  /** ONNX tensor name. */
  name: string;
  /** Static shape in TensorFlow's layout (NHWC for images); -1 where unknown. */
  shape: number[];
  /** True when the ONNX tensor is the NCHW transpose of the NHWC TensorFlow tensor. */
  nchw: boolean;
}

/** NCHW position of each NHWC axis: N→0, H→2, W→3, C→1. */
export const NCHW_AXIS_OF_NHWC = [0, 2, 3, 1] as const;

/** Collects nodes and initializers; each initializer name is added once. */
export class OnnxBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  #initializerNames = new Set<string>();

  /** Adds a node and returns the name of its (single) output. */
  node(
    opType: string,
    name: string,
    inputs: string[],
    attributes?: Record<string, OnnxAttributeValue>,
    output = name,
  ): string {
    this.nodes.push({ opType, name, inputs, outputs: [output], attributes });
    return output;
  }

  /** Adds a float initializer unless one of that name exists; returns the name. */
  floats(name: string, dims: number[], data: Float32Array): string {
    return this.#add({ name, dims, dataType: DataType.FLOAT, data });
  }

  /** Adds an int64 initializer unless one of that name exists; returns the name. */
  int64s(name: string, dims: number[], data: number[]): string {
    return this.#add({ name, dims, dataType: DataType.INT64, data });
  }

  #add(tensor: OnnxTensor): string {
    if (!this.#initializerNames.has(tensor.name)) {
      this.#initializerNames.add(tensor.name);
      this.initializers.push(tensor);
    }
    return tensor.name;
  }
}

/** Returns `data` (of NHWC `shape`, rank 4) reordered to NCHW, and the NCHW shape. */
export function nhwcToNchw(data: Float32Array, shape: number[]): [Float32Array, number[]] {
  const [n, h, w, c] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
        }
      }
    }
  }
  return [out, [n, c, h, w]];
}

/**
 * Reorders a TensorFlow conv filter `[kh, kw, cin, cout]` (HWIO) to ONNX's `[cout, cin, kh,
 * kw]` (OIHW). A depthwise filter `[kh, kw, cin, mult]` becomes `[cin*mult, 1, kh, kw]`, whose
 * output channel `c*mult + m` reads input channel `c`, as in TensorFlow.
 */
export function filterToOihw(filter: TfConst, depthwise: boolean): [Float32Array, number[]] {
  const [kh, kw, cin, cout] = filter.shape;
  const src = filter.data;
  const out = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          const value = src[((y * kw + x) * cin + i) * cout + o];
          // Depthwise: output channel i*cout+o, one input channel per group.
          const dst = depthwise
            ? ((i * cout + o) * kh + y) * kw + x
            : ((o * cin + i) * kh + y) * kw + x;
          out[dst] = value;
        }
      }
    }
  }
  return [out, depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw]];
}

/** NumPy-style broadcast of two static shapes (-1 stays unknown). */
export function broadcastShapes(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1 && x !== -1 && y !== -1) {
      throw new Error(`Shapes [${a}] and [${b}] do not broadcast.`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}
