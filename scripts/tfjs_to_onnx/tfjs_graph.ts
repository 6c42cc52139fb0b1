/**
 * Reading a TFJS graph model: the `model.json` topology, its weights (dequantised to float32
 * or int32) and the part of the graph the requested outputs depend on, in execution order.
 *
 * @module
 */

/** One node of the TensorFlow `GraphDef` as TFJS stores it in `model.json`. */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** A node attribute; only the fields the converter reads are typed. */
export interface TfAttr {
  b?: boolean;
  i?: string | number;
  f?: number;
  /** Base64 of the UTF-8 bytes. */
  s?: string;
  list?: { i?: (string | number)[]; s?: string[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  type?: string;
}

/** A constant's value after dequantisation. */
export interface TfConst {
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}

/** A parsed graph model. */
export interface TfGraph {
  nodes: Map<string, TfNode>;
  consts: Map<string, TfConst>;
  /** Output names from the model's signature (empty when it has none). */
  signatureOutputs: string[];
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ModelJson {
  format?: string;
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: { paths?: string[]; weights: WeightEntry[] }[];
  signature?: { outputs?: Record<string, { name?: string }> };
}

/**
 * Parses `model.json` and the weights. `weights` is the concatenation of every shard named by
 * the manifest's `paths`, in manifest order (for one shard: the `.bin` file as it is).
 */
export function readTfGraph(modelJson: unknown, weights: Uint8Array): TfGraph {
  const json = modelJson as ModelJson;
  const list = json?.modelTopology?.node;
  if (!Array.isArray(list) || !Array.isArray(json.weightsManifest)) {
    throw new Error(
      "This is not a TFJS graph model: model.json needs modelTopology.node and weightsManifest.",
    );
  }
  const nodes = new Map(list.map((node) => [node.name, node]));
  const consts = new Map<string, TfConst>();
  let offset = 0;
  for (const entry of json.weightsManifest.flatMap((group) => group.weights)) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const bytesPer = entry.quantization
      ? BYTES_PER[entry.quantization.dtype]
      : BYTES_PER[entry.dtype];
    if (bytesPer === undefined) {
      throw new Error(`Weight ${entry.name} has unsupported dtype ${entry.dtype}.`);
    }
    const size = count * bytesPer;
    if (offset + size > weights.length) {
      throw new Error(
        `The weights end at byte ${weights.length} but ${entry.name} needs bytes up to ` +
          `${offset + size}: pass every shard of the manifest, concatenated in order.`,
      );
    }
    const bytes = weights.subarray(offset, offset + size);
    consts.set(entry.name, { shape: entry.shape, ...decodeWeight(entry, bytes, count) });
    offset += size;
  }
  const outputs = Object.values(json.signature?.outputs ?? {}).map((o) => o.name ?? "");
  return { nodes, consts, signatureOutputs: outputs.filter((name) => name !== "") };
}

const BYTES_PER: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  float16: 2,
  uint16: 2,
  uint8: 1,
};

function decodeWeight(
  entry: WeightEntry,
  bytes: Uint8Array,
  count: number,
): Pick<TfConst, "dtype" | "data"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dtype = entry.dtype === "int32" ? "int32" : "float32";
  if (entry.dtype !== "float32" && entry.dtype !== "int32") {
    throw new Error(`Weight ${entry.name} has unsupported dtype ${entry.dtype}.`);
  }
  const data = dtype === "int32" ? new Int32Array(count) : new Float32Array(count);
  const quantization = entry.quantization;
  if (!quantization) {
    for (let i = 0; i < count; i++) {
      data[i] = dtype === "int32" ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
    }
  } else if (quantization.dtype === "float16") {
    for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    // Affine uint8/uint16 quantisation: value = q * scale + min (rounded for int32, as TFJS).
    const { scale = 1, min = 0 } = quantization;
    const wide = quantization.dtype === "uint16";
    for (let i = 0; i < count; i++) {
      const q = wide ? view.getUint16(i * 2, true) : view.getUint8(i);
      data[i] = dtype === "int32" ? Math.round(q * scale + min) : q * scale + min;
    }
  }
  return { dtype, data };
}

/** Converts IEEE 754 half-precision bits to a number (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Splits a TF input reference (`name`, `name:1`, `^control`) into node name and output. */
export function parseInput(ref: string): { node: string; output: number; control: boolean } {
  const control = ref.startsWith("^");
  const bare = control ? ref.slice(1) : ref;
  const match = /^(.*):(\d+)$/.exec(bare);
  return match
    ? { node: match[1], output: Number(match[2]), control }
    : { node: bare, output: 0, control };
}

/**
 * The nodes that `outputs` depend on (data inputs only), each after all of its inputs: the
 * subgraph to convert. Nodes only reachable through the cut-off tail are left out.
 */
export function nodesFor(graph: TfGraph, outputs: readonly string[]): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, "open" | "done">();
  for (const output of outputs) {
    if (!graph.nodes.has(output)) throw new Error(`The graph has no node named "${output}".`);
    // Iterative depth-first post-order, so deep graphs cannot overflow the stack.
    const stack: { name: string; next: number }[] = [{ name: output, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const node = graph.nodes.get(top.name);
      if (!node) throw new Error(`Node "${top.name}" is used but not defined in the graph.`);
      if (top.next === 0) {
        if (state.get(top.name) === "done") {
          stack.pop();
          continue;
        }
        if (state.get(top.name) === "open") {
          throw new Error(`The graph has a cycle at ${top.name}.`);
        }
        state.set(top.name, "open");
      }
      const inputs = (node.input ?? []).map(parseInput).filter((ref) => !ref.control);
      if (top.next < inputs.length) {
        const child = inputs[top.next++].node;
        if (state.get(child) !== "done") stack.push({ name: child, next: 0 });
        continue;
      }
      state.set(top.name, "done");
      order.push(node);
      stack.pop();
    }
  }
  return order;
}

/** Reads a string attribute (`padding`, `data_format`, …), or `fallback` when absent. */
export function attrString(node: TfNode, name: string, fallback = ""): string {
  const value = node.attr?.[name]?.s;
  return value === undefined ? fallback : atob(value);
}

/** Reads an integer-list attribute (`strides`, `dilations`, …), or `fallback` when absent. */
export function attrInts(node: TfNode, name: string, fallback: number[] = []): number[] {
  const list = node.attr?.[name]?.list?.i;
  return list ? list.map(Number) : fallback;
}

/** Reads a string-list attribute (`fused_ops`). */
export function attrStrings(node: TfNode, name: string): string[] {
  return (node.attr?.[name]?.list?.s ?? []).map((s) => atob(s));
}

/** Reads a boolean attribute, or `fallback` when absent. */
export function attrBool(node: TfNode, name: string, fallback = false): boolean {
  return node.attr?.[name]?.b ?? fallback;
}
