/**
 * TFJS graph model → ONNX converter, owned by the project so the object detector can be built
 * from the published CenterNet TFJS files without Python or tf2onnx.
 *
 * The ONNX model keeps the TFJS model's interface: NHWC inputs and outputs with the same names
 * and shapes. Inside, activations run NCHW (one Transpose after each rank-4 input and before
 * each rank-4 output). The output is deterministic: the same files give the same bytes.
 *
 * @example
 * ```ts
 * const onnx = convertTfjsGraph(modelJson, weights, {
 *   outputs: ["tower_0/keypoints", "tower_0/wh"],
 * });
 * await Deno.writeFile("models/centernet.onnx", onnx);
 * ```
 *
 * @module
 */

import { OnnxBuilder, type Value } from "./onnx_builder.ts";
import { DataType, encodeModel, type OnnxValueInfo } from "../../src/vision/onnx/onnx_proto.ts";
import { type ConvertContext, converterFor } from "./ops.ts";
import { nodesFor, readTfGraph, type TfNode } from "./tfjs_graph.ts";

/** ONNX opset the converter emits. */
export const OPSET_VERSION = 13;
/** IR version that goes with opset 13 (ONNX 1.8). */
export const IR_VERSION = 7;
/** `producer_name` / `producer_version` written into the model. */
export const PRODUCER = { name: "manifest-studio tfjs_to_onnx", version: "1" } as const;

/** Options of {@linkcode convertTfjsGraph}. */
export interface ConvertOptions {
  /**
   * TensorFlow node names to expose as outputs; only what they depend on is converted (use it
   * to cut a decode tail with unsupported ops). Defaults to the signature's outputs.
   */
  outputs?: string[];
}

/**
 * Converts a TFJS graph model (`model.json` parsed, and its weight shards concatenated in
 * manifest order) to a serialised ONNX `ModelProto` (opset 13).
 *
 * @throws {Error} naming the node when an op, attribute or layout is not supported.
 */
export function convertTfjsGraph(
  modelJson: unknown,
  weights: Uint8Array,
  options: ConvertOptions = {},
): Uint8Array {
  const graph = readTfGraph(modelJson, weights);
  const outputs = options.outputs ?? graph.signatureOutputs;
  if (outputs.length === 0) {
    throw new Error("The model has no signature outputs: pass options.outputs.");
  }
  const outputSet = new Set(outputs);
  const onnx = new OnnxBuilder();
  const ctx: ConvertContext = {
    graph,
    onnx,
    values: new Map(),
    // Output names are taken by the final NHWC tensors, so their NCHW sources get a suffix.
    nameFor: (node) => outputSet.has(node) ? `${node}:nchw` : node,
  };
  const inputs: OnnxValueInfo[] = [];

  for (const node of nodesFor(graph, outputs)) {
    if (node.op === "Const") {
      if (!graph.consts.has(node.name)) {
        throw new Error(`Constant ${node.name} has no value in the weights manifest.`);
      }
      continue;
    }
    if (node.op === "Placeholder") {
      const [value, info] = placeholder(ctx, node);
      ctx.values.set(node.name, value);
      inputs.push(info);
      continue;
    }
    const convert = converterFor(node.op);
    if (!convert) {
      throw new Error(
        `Op ${node.op} (node ${node.name}) is not supported. Pick outputs that do not depend ` +
          "on it with options.outputs, or add the op to scripts/tfjs_to_onnx/ops.ts.",
      );
    }
    ctx.values.set(node.name, convert(ctx, node));
  }

  const outputInfos = outputs.map((name) => graphOutput(ctx, name));
  return encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: PRODUCER.name,
    producerVersion: PRODUCER.version,
    graphName: "tfjs_graph",
    nodes: onnx.nodes,
    initializers: onnx.initializers,
    inputs,
    outputs: outputInfos,
  });
}

function shapeOf(node: TfNode): number[] {
  const dims = node.attr?.shape?.shape?.dim;
  if (!dims) throw new Error(`Input ${node.name} has no static shape.`);
  return dims.map((dim) => Number(dim.size ?? -1));
}

function valueInfo(name: string, shape: number[]): OnnxValueInfo {
  const dims = shape.map((d, i) => d < 0 ? `${name.replaceAll("/", "_")}_dim${i}` : d);
  return { name, elemType: DataType.FLOAT, shape: dims };
}

/** A float NHWC graph input; rank-4 inputs are transposed to NCHW right away. */
function placeholder(ctx: ConvertContext, node: TfNode): [Value, OnnxValueInfo] {
  const dtype = node.attr?.dtype?.type ?? "DT_FLOAT";
  if (dtype !== "DT_FLOAT") throw new Error(`Input ${node.name} is ${dtype}; only float works.`);
  const shape = shapeOf(node);
  const info = valueInfo(node.name, shape);
  if (shape.length !== 4) return [{ name: node.name, shape, nchw: false }, info];
  const name = ctx.onnx.node("Transpose", `${node.name}:nchw`, [node.name], {
    perm: { ints: [0, 3, 1, 2] },
  });
  return [{ name, shape, nchw: true }, info];
}

/** Names the final tensor after the TensorFlow output, transposed back to NHWC if needed. */
function graphOutput(ctx: ConvertContext, name: string): OnnxValueInfo {
  const value = ctx.values.get(name);
  if (!value) throw new Error(`Output ${name} is a constant or an input; it cannot be an output.`);
  if (value.nchw) {
    ctx.onnx.node("Transpose", name, [value.name], { perm: { ints: [0, 2, 3, 1] } });
  } else if (value.name !== name) {
    ctx.onnx.node("Identity", name, [value.name]);
  }
  return valueInfo(name, value.shape);
}
