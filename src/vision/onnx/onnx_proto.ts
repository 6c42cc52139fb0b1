/**
 * Plain-object forms of the few ONNX messages the project writes (the TFJS converter, the
 * similarity graph of face clustering) and their protobuf
 * encoding. Field numbers are those of `onnx/onnx.proto` (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
 * OperatorSetIdProto).
 *
 * @module
 */

import { ProtoWriter } from "./protobuf.ts";

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;

/** A constant tensor (graph initializer). */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  /** `FLOAT` data goes to `float_data`, `INT64` to `int64_data` (both packed). */
  dataType: typeof DataType.FLOAT | typeof DataType.INT64;
  data: Float32Array | readonly number[];
}

/** A node attribute; the value's JS type picks the attribute type. */
export type OnnxAttributeValue =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] };

/** One operator application. */
export interface OnnxNode {
  opType: string;
  name: string;
  /** Input names; `""` leaves an optional input out. */
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

/** A typed graph input or output; a string dimension is symbolic (`dim_param`). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  shape: readonly (number | string)[];
}

/** A whole model: one graph and the opset it uses. */
export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString?: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

/** Serialises `model` as an ONNX `ModelProto`. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, model.irVersion); // ir_version
  w.string(2, model.producerName); // producer_name
  w.string(3, model.producerVersion); // producer_version
  if (model.docString) w.string(6, model.docString); // doc_string
  w.message(7, (g) => writeGraph(g, model)); // graph
  w.message(8, (o) => o.string(1, "").varint(2, model.opsetVersion)); // opset_import
  return w.finish();
}

function writeGraph(w: ProtoWriter, model: OnnxModel): void {
  for (const node of model.nodes) w.message(1, (n) => writeNode(n, node)); // node
  w.string(2, model.graphName); // name
  for (const tensor of model.initializers) w.message(5, (t) => writeTensor(t, tensor));
  for (const input of model.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of model.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, (a) => writeAttribute(a, name, value));
  }
}

function writeAttribute(w: ProtoWriter, name: string, value: OnnxAttributeValue): void {
  w.string(1, name);
  if ("int" in value) w.varint(3, value.int).varint(20, ATTR_INT);
  else if ("float" in value) w.float(2, value.float).varint(20, ATTR_FLOAT);
  else if ("string" in value) w.string(4, value.string).varint(20, ATTR_STRING);
  else if ("ints" in value) w.repeatedVarints(8, value.ints).varint(20, ATTR_INTS);
  else w.packedFloats(7, value.floats).varint(20, ATTR_FLOATS);
}

/** Writes a `TensorProto` (exported for tests). */
export function writeTensor(w: ProtoWriter, tensor: OnnxTensor): void {
  w.repeatedVarints(1, tensor.dims); // dims
  w.varint(2, tensor.dataType); // data_type
  if (tensor.dataType === DataType.FLOAT) w.packedFloats(4, tensor.data); // float_data
  else w.packedVarints(7, tensor.data); // int64_data
  w.string(8, tensor.name); // name
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    // TypeProto
    type.message(1, (tensor) => { // tensor_type
      tensor.varint(1, info.elemType); // elem_type
      tensor.message(2, (shape) => { // TensorShapeProto
        for (const dim of info.shape) {
          shape.message(1, (d) => typeof dim === "number" ? d.varint(1, dim) : d.string(2, dim));
        }
      });
    }));
}
