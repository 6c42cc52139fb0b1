import assert from "node:assert/strict";
import { filterToOihw, nhwcToNchw } from "./onnx_builder.ts";
import { DataType, writeTensor } from "../../src/vision/onnx/onnx_proto.ts";
import { samePads } from "./ops.ts";
import { ProtoWriter } from "../../src/vision/onnx/protobuf.ts";
import { halfToFloat, nodesFor, parseInput, readTfGraph } from "./tfjs_graph.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("varints match the protobuf encoding", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [150, "96 01"],
    [300, "ac 02"],
    [2 ** 32, "80 80 80 80 10"],
    [2 ** 53 - 1, "ff ff ff ff ff ff ff 0f"],
    [-1, "ff ff ff ff ff ff ff ff ff 01"],
    [-2, "fe ff ff ff ff ff ff ff ff 01"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(hex(new ProtoWriter().rawVarint(value).finish()), expected, `varint ${value}`);
  }
  assert.throws(() => new ProtoWriter().rawVarint(0.5), RangeError);
});

Deno.test("fields: keys, floats, strings, nested messages", () => {
  assert.equal(hex(new ProtoWriter().varint(1, 150).finish()), "08 96 01");
  assert.equal(hex(new ProtoWriter().varint(20, 2).finish()), "a0 01 02");
  assert.equal(hex(new ProtoWriter().float(2, 1).finish()), "15 00 00 80 3f");
  assert.equal(hex(new ProtoWriter().string(2, "testing").finish()), "12 07 74 65 73 74 69 6e 67");
  assert.equal(
    hex(new ProtoWriter().message(3, (m) => m.varint(1, 150)).finish()),
    "1a 03 08 96 01",
  );
  assert.equal(hex(new ProtoWriter().repeatedVarints(1, [3, 270]).finish()), "08 03 08 8e 02");
  assert.equal(
    hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish()),
    "22 06 03 8e 02 9e a7 05",
  );
});

Deno.test("packed floats are one length prefix and little-endian singles", () => {
  assert.equal(
    hex(new ProtoWriter().packedFloats(4, [1, -2.5]).finish()),
    "22 08 00 00 80 3f 00 00 20 c0",
  );
  // A buffer that has to grow keeps what was written before.
  const big = new ProtoWriter().varint(1, 1).packedFloats(4, new Float32Array(1000).fill(0.5));
  const bytes = big.finish();
  assert.equal(bytes.length, 2 + 1 + 2 + 4000);
  assert.equal(hex(bytes.subarray(0, 9)), "08 01 22 a0 1f 00 00 00 3f");
});

Deno.test("a TensorProto has dims, data_type, packed data and name", () => {
  const w = new ProtoWriter();
  writeTensor(w, { name: "s", dims: [2], dataType: DataType.INT64, data: [1, 300] });
  assert.equal(hex(w.finish()), "08 02 10 07 3a 03 01 ac 02 42 01 73");
  const f = new ProtoWriter();
  writeTensor(f, { name: "x", dims: [], dataType: DataType.FLOAT, data: new Float32Array([6]) });
  assert.equal(hex(f.finish()), "10 01 22 04 00 00 c0 40 42 01 78");
});

Deno.test("float16 dequantisation is exact", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

Deno.test("TF SAME padding becomes explicit pads", () => {
  assert.deepEqual(samePads(512, 3, 2, 1), { begin: 0, end: 1, out: 256 });
  assert.deepEqual(samePads(128, 3, 1, 1), { begin: 1, end: 1, out: 128 });
  assert.deepEqual(samePads(32, 5, 2, 1), { begin: 1, end: 2, out: 16 });
  assert.deepEqual(samePads(8, 1, 1, 1), { begin: 0, end: 0, out: 8 });
});

Deno.test("filters go HWIO → OIHW, depthwise to grouped [cin*mult, 1, kh, kw]", () => {
  // kh=1, kw=2, cin=2, cout=3: value = 100*x + 10*i + o.
  const data = new Float32Array(12);
  for (let x = 0; x < 2; x++) {
    for (let i = 0; i < 2; i++) {
      for (let o = 0; o < 3; o++) data[(x * 2 + i) * 3 + o] = 100 * x + 10 * i + o;
    }
  }
  const filter = { shape: [1, 2, 2, 3], dtype: "float32" as const, data };
  const [oihw, dims] = filterToOihw(filter, false);
  assert.deepEqual(dims, [3, 2, 1, 2]);
  assert.deepEqual([...oihw.subarray(0, 4)], [0, 100, 10, 110]); // o=0: (i=0: x0,x1), (i=1: …)
  const [dw, dwDims] = filterToOihw(filter, true);
  assert.deepEqual(dwDims, [6, 1, 1, 2]);
  assert.deepEqual([...dw.subarray(6, 8)], [10, 110]); // output channel 3 = input 1, mult 0
  const [nchw, shape] = nhwcToNchw(new Float32Array([1, 2, 3, 4, 5, 6]), [1, 1, 2, 3]);
  assert.deepEqual(shape, [1, 3, 1, 2]);
  assert.deepEqual([...nchw], [1, 4, 2, 5, 3, 6]);
});

Deno.test("graph walk keeps only what the outputs need, inputs first", () => {
  const modelJson = {
    modelTopology: {
      node: [
        { name: "out", op: "Relu", input: ["add"] },
        { name: "tail", op: "TopKV2", input: ["out", "k"] },
        { name: "add", op: "Add", input: ["x", "c", "^x"] },
        { name: "c", op: "Const" },
        { name: "k", op: "Const" },
        { name: "x", op: "Placeholder" },
      ],
    },
    weightsManifest: [{
      paths: ["w.bin"],
      weights: [
        { name: "c", shape: [2], dtype: "float32", quantization: { dtype: "float16" } },
        { name: "k", shape: [], dtype: "int32" },
      ],
    }],
  };
  const weights = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 7, 0, 0, 0]);
  const graph = readTfGraph(modelJson, weights);
  assert.deepEqual([...graph.consts.get("c")!.data], [1, -2]);
  assert.deepEqual([...graph.consts.get("k")!.data], [7]);
  assert.deepEqual(nodesFor(graph, ["out"]).map((n) => n.name), ["x", "c", "add", "out"]);
  assert.throws(() => readTfGraph(modelJson, weights.subarray(0, 6)), /pass every shard/);
  assert.deepEqual(parseInput("^a/b"), { node: "a/b", output: 0, control: true });
  assert.deepEqual(parseInput("a/b:2"), { node: "a/b", output: 2, control: false });
});
