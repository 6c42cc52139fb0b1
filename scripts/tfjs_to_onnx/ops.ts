/**
 * TensorFlow op → ONNX (opset 13) mapping, with static shape inference in TensorFlow's NHWC
 * terms. Rank-4 activations are kept NCHW in ONNX; constants are reordered to match.
 *
 * @module
 */

import {
  broadcastShapes,
  filterToOihw,
  NCHW_AXIS_OF_NHWC,
  nhwcToNchw,
  type OnnxBuilder,
  type Value,
} from "./onnx_builder.ts";
import {
  attrBool,
  attrInts,
  attrString,
  attrStrings,
  parseInput,
  type TfConst,
  type TfGraph,
  type TfNode,
} from "./tfjs_graph.ts";

/** State shared by the op converters while one graph is converted. */
export interface ConvertContext {
  graph: TfGraph;
  onnx: OnnxBuilder;
  /** Converted tensors by TensorFlow node name. */
  values: Map<string, Value>;
  /** ONNX name to give the tensor of a TensorFlow node (outputs get a suffix). */
  nameFor(node: string): string;
}

/** Converts one TensorFlow node, recording its output in `ctx.values`. */
type OpConverter = (ctx: ConvertContext, node: TfNode) => Value;

const BINARY: Readonly<Record<string, string>> = {
  Add: "Add",
  AddV2: "Add",
  Sub: "Sub",
  Mul: "Mul",
  RealDiv: "Div",
  Maximum: "Max",
  Minimum: "Min",
};
const UNARY: Readonly<Record<string, string>> = { Relu: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh" };
const CONVS = new Set([
  "Conv2D",
  "_FusedConv2D",
  "DepthwiseConv2dNative",
  "FusedDepthwiseConv2dNative",
]);
const REDUCE: Readonly<Record<string, string>> = {
  Mean: "ReduceMean",
  Max: "ReduceMax",
  Min: "ReduceMin",
};

/** The converter for `op`, or `undefined` when the op is not supported. */
export function converterFor(op: string): OpConverter | undefined {
  if (op in BINARY) return binary;
  if (op in UNARY) return unary;
  if (CONVS.has(op)) return conv;
  if (op in REDUCE) return reduce;
  return OTHERS[op];
}

const OTHERS: Readonly<Record<string, OpConverter>> = {
  Identity: (ctx, node) => input(ctx, node, 0),
  Relu6: (ctx, node) => {
    const x = input(ctx, node, 0);
    return { ...x, name: relu6(ctx, x.name, ctx.nameFor(node.name)) };
  },
  ConcatV2: concat,
  ResizeBilinear: resize,
};

/** The converted value of a data input of `node`; constants are not values (see `constOf`). */
export function input(ctx: ConvertContext, node: TfNode, index: number): Value {
  const ref = parseInput(node.input?.[index] ?? "");
  const value = ctx.values.get(ref.node);
  if (!value || ref.output !== 0) {
    throw new Error(`${node.op} node ${node.name}: input ${node.input?.[index]} is not available.`);
  }
  return value;
}

function constInput(ctx: ConvertContext, node: TfNode, index: number): TfConst | undefined {
  return ctx.graph.consts.get(parseInput(node.input?.[index] ?? "").node);
}

function constOf(ctx: ConvertContext, node: TfNode, index: number, what: string): TfConst {
  const value = constInput(ctx, node, index);
  if (!value) {
    throw new Error(`${node.op} node ${node.name}: the ${what} must be a constant.`);
  }
  return value;
}

/**
 * A constant used as an operand next to a tensor of rank `rank`: scalars stay scalars; when
 * the result is rank 4 (NCHW in ONNX), the constant is padded to rank 4 and transposed too.
 */
function constOperand(ctx: ConvertContext, ref: string, value: TfConst, rank: number): string {
  const name = parseInput(ref).node;
  if (value.dtype !== "float32") throw new Error(`Constant ${name} must be float32.`);
  const data = value.data as Float32Array;
  if (rank !== 4 || value.shape.length === 0) return ctx.onnx.floats(name, value.shape, data);
  const padded = [...Array(4 - value.shape.length).fill(1), ...value.shape];
  const [nchw, shape] = nhwcToNchw(data, padded);
  return ctx.onnx.floats(`${name}/nchw`, shape, nchw);
}

function binary(ctx: ConvertContext, node: TfNode): Value {
  const refs = node.input ?? [];
  const consts = [0, 1].map((i) => constInput(ctx, node, i));
  if (consts[0] && consts[1]) {
    throw new Error(`${node.op} node ${node.name} has only constant inputs; fold it first.`);
  }
  const shapes = [0, 1].map((i) => consts[i]?.shape ?? input(ctx, node, i).shape);
  const shape = broadcastShapes(shapes[0], shapes[1]);
  const names = [0, 1].map((i) => {
    const value = consts[i];
    if (value) return constOperand(ctx, refs[i], value, shape.length);
    const x = input(ctx, node, i);
    if (shape.length === 4 && !x.nchw) {
      throw new Error(
        `${node.op} node ${node.name}: broadcasting a rank-${x.shape.length} ` +
          `tensor against a rank-4 one is not supported.`,
      );
    }
    return x.name;
  });
  const name = ctx.onnx.node(BINARY[node.op], ctx.nameFor(node.name), names);
  return { name, shape, nchw: shape.length === 4 };
}

function unary(ctx: ConvertContext, node: TfNode): Value {
  const x = input(ctx, node, 0);
  return { ...x, name: ctx.onnx.node(UNARY[node.op], ctx.nameFor(node.name), [x.name]) };
}

/** Clip(x, 0, 6) under the name `output`. */
function relu6(ctx: ConvertContext, x: string, output: string): string {
  const zero = ctx.onnx.floats("tfjs_to_onnx/zero", [], new Float32Array([0]));
  const six = ctx.onnx.floats("tfjs_to_onnx/six", [], new Float32Array([6]));
  return ctx.onnx.node("Clip", output, [x, zero, six]);
}

/** Explicit begin/end pads for one spatial axis under TF's `SAME` rule. */
export function samePads(size: number, kernel: number, stride: number, dilation: number) {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return { begin: Math.floor(total / 2), end: total - Math.floor(total / 2), out };
}

function conv(ctx: ConvertContext, node: TfNode): Value {
  if (attrString(node, "data_format", "NHWC") !== "NHWC") {
    throw new Error(`${node.op} node ${node.name}: only NHWC data_format is supported.`);
  }
  const x = input(ctx, node, 0);
  if (!x.nchw) throw new Error(`${node.op} node ${node.name}: the input must be rank 4.`);
  const filter = constOf(ctx, node, 1, "filter");
  const depthwise = node.op.includes("Depthwise");
  const [kh, kw, cin, mult] = filter.shape;
  const [n, h, w, c] = x.shape;
  const [, sh, sw] = attrInts(node, "strides", [1, 1, 1, 1]);
  const [, dh, dw] = attrInts(node, "dilations", [1, 1, 1, 1]);
  if (h < 0 || w < 0) throw new Error(`${node.op} node ${node.name}: spatial size unknown.`);

  const padding = attrString(node, "padding", "VALID");
  let pads: number[];
  let outH: number;
  let outW: number;
  if (padding === "SAME") {
    const py = samePads(h, kh, sh, dh);
    const px = samePads(w, kw, sw, dw);
    pads = [py.begin, px.begin, py.end, px.end];
    [outH, outW] = [py.out, px.out];
  } else {
    // VALID, or EXPLICIT with NHWC pairs [0,0, top,bottom, left,right, 0,0].
    const e = padding === "EXPLICIT" ? attrInts(node, "explicit_paddings") : [];
    pads = padding === "EXPLICIT" ? [e[2], e[4], e[3], e[5]] : [0, 0, 0, 0];
    if (padding !== "VALID" && padding !== "EXPLICIT") {
      throw new Error(`${node.op} node ${node.name}: padding ${padding} is not supported.`);
    }
    outH = Math.floor((h + pads[0] + pads[2] - (kh - 1) * dh - 1) / sh) + 1;
    outW = Math.floor((w + pads[1] + pads[3] - (kw - 1) * dw - 1) / sw) + 1;
  }
  const group = depthwise ? c : c / cin;
  const outC = depthwise ? cin * mult : mult;
  if (!Number.isInteger(group) || (depthwise && cin !== c)) {
    throw new Error(
      `${node.op} node ${node.name}: filter [${filter.shape}] does not fit input ` +
        `[${x.shape}].`,
    );
  }
  const [oihw, dims] = filterToOihw(filter, depthwise);
  const inputs = [x.name, ctx.onnx.floats(`${parseInput(node.input![1]).node}/oihw`, dims, oihw)];

  const fused = node.op.startsWith("_Fused") || node.op.startsWith("Fused")
    ? attrStrings(node, "fused_ops")
    : [];
  const activations = fused[0] === "BiasAdd" ? fused.slice(1) : fused;
  if (fused[0] === "BiasAdd") {
    const bias = constOf(ctx, node, 2, "bias");
    inputs.push(
      ctx.onnx.floats(parseInput(node.input![2]).node, bias.shape, bias.data as Float32Array),
    );
  }
  const final = ctx.nameFor(node.name);
  let name = ctx.onnx.node("Conv", activations.length ? `${final}/conv` : final, inputs, {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: [sh, sw] },
    dilations: { ints: [dh, dw] },
    pads: { ints: pads },
    group: { int: group },
  });
  if (activations.length > 1) {
    throw new Error(`${node.op} node ${node.name}: fused ops ${fused} are not supported.`);
  }
  if (activations[0] === "Relu") name = ctx.onnx.node("Relu", final, [name]);
  else if (activations[0] === "Relu6") name = relu6(ctx, name, final);
  else if (activations[0] === "Sigmoid") name = ctx.onnx.node("Sigmoid", final, [name]);
  else if (activations.length) {
    throw new Error(`${node.op} node ${node.name}: fused op ${activations[0]} is not supported.`);
  }
  return { name, shape: [n, outH, outW, outC], nchw: true };
}

function reduce(ctx: ConvertContext, node: TfNode): Value {
  const x = input(ctx, node, 0);
  const rank = x.shape.length;
  const axes = [...constOf(ctx, node, 1, "reduction axes").data].map((a) => a < 0 ? a + rank : a);
  const keep = attrBool(node, "keep_dims");
  const shape = keep
    ? x.shape.map((d, i) => axes.includes(i) ? 1 : d)
    : x.shape.filter((_, i) => !axes.includes(i));
  // Without keep_dims an NCHW tensor keeps its order only if C is gone or only N, C remain.
  const keptSpatial = !axes.includes(1) || !axes.includes(2);
  if (x.nchw && !keep && !axes.includes(3) && keptSpatial) {
    throw new Error(`${node.op} node ${node.name}: this reduction needs keep_dims.`);
  }
  const onnxAxes = x.nchw ? axes.map((a) => NCHW_AXIS_OF_NHWC[a]) : axes;
  const name = ctx.onnx.node(REDUCE[node.op], ctx.nameFor(node.name), [x.name], {
    axes: { ints: onnxAxes.sort((a, b) => a - b) },
    keepdims: { int: keep ? 1 : 0 },
  });
  return { name, shape, nchw: x.nchw && keep };
}

function concat(ctx: ConvertContext, node: TfNode): Value {
  const count = (node.input ?? []).filter((ref) => !ref.startsWith("^")).length - 1;
  const parts = Array.from({ length: count }, (_, i) => {
    const value = constInput(ctx, node, i);
    const x = value ? undefined : input(ctx, node, i);
    return { value, x, shape: value?.shape ?? x!.shape };
  });
  const rank = parts[0].shape.length;
  const axisValue = constOf(ctx, node, count, "axis").data[0];
  const axis = axisValue < 0 ? axisValue + rank : axisValue;
  const shape = [...parts[0].shape];
  shape[axis] = parts.reduce((total, part) => total + part.shape[axis], 0);
  const names = parts.map((part, i) =>
    part.value ? constOperand(ctx, node.input![i], part.value, rank) : part.x!.name
  );
  const name = ctx.onnx.node("Concat", ctx.nameFor(node.name), names, {
    axis: { int: rank === 4 ? NCHW_AXIS_OF_NHWC[axis] : axis },
  });
  return { name, shape, nchw: rank === 4 };
}

function resize(ctx: ConvertContext, node: TfNode): Value {
  const x = input(ctx, node, 0);
  const [outH, outW] = constOf(ctx, node, 1, "size").data;
  const [n, , , c] = x.shape;
  if (n < 0) throw new Error(`${node.name}: Resize needs a known batch size.`);
  const alignCorners = attrBool(node, "align_corners");
  const halfPixel = attrBool(node, "half_pixel_centers");
  const mode = alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric";
  const sizes = ctx.onnx.int64s(`${node.name}/sizes`, [4], [n, c, outH, outW]);
  const name = ctx.onnx.node("Resize", ctx.nameFor(node.name), [x.name, "", "", sizes], {
    mode: { string: "linear" },
    coordinate_transformation_mode: { string: mode },
  });
  return { name, shape: [n, outH, outW, c], nchw: true };
}
