/**
 * The YOLO adapter against a tiny ONNX graph built here, whose output is known: three fixed
 * anchors plus one whose score is the mean of the model's input, which checks the letterbox
 * and the 0..1 scaling too. ORT runs on this test's thread, so this file starts no Workers.
 */
import assert from "node:assert/strict";
import { DataType, encodeModel } from "./onnx/onnx_proto.ts";
import { OnnxBuilder } from "../../scripts/tfjs_to_onnx/onnx_builder.ts";
import { rgbImage } from "../imaging/raster.ts";
import { loadOnnxModel } from "./ort_runner.ts";
import { decodeYolo, YoloDetector } from "./yolo.ts";

const SIZE = 64;
const ANCHORS = 8;
const CLASSES = 2;

/**
 * `[1, 4 + 2, 8]`: rows cx, cy, w, h, score of class 0, score of class 1; anchors as columns
 * (the last four are empty).
 */
function fixedOutput(): Float32Array {
  const rows = [
    [32, 32.2, 10, 40], // cx
    [32, 32.2, 20, 40], // cy
    [20, 20, 8, 4], // w
    [10, 10, 8, 4], // h
    [0, 0.5, 0, 0], // class 0 (anchor 0's comes from the input)
    [0, 0, 0.9, 0.1], // class 1: anchor 3 is under the threshold
  ];
  return Float32Array.from(rows.flatMap((row) => [...row, 0, 0, 0, 0]));
}

/** output = fixed + mask · mean(input): the mask selects anchor 0's class-0 score. */
function yoloLikeModel(): Uint8Array {
  const b = new OnnxBuilder();
  const mean = b.node("ReduceMean", "mean", ["images"], {
    axes: { ints: [1, 2, 3] },
    keepdims: { int: 1 },
  });
  const flat = b.node("Reshape", "flat", [mean, b.int64s("shape", [3], [1, 1, 1])]);
  const mask = new Float32Array((4 + CLASSES) * ANCHORS);
  mask[4 * ANCHORS + 0] = 1;
  const masked = b.node("Mul", "masked", [flat, b.floats("mask", [1, 4 + CLASSES, ANCHORS], mask)]);
  b.node("Add", "output0", [masked, b.floats("fixed", [1, 4 + CLASSES, ANCHORS], fixedOutput())]);
  return encodeModel({
    irVersion: 7,
    opsetVersion: 13,
    producerName: "yolo_test",
    producerVersion: "1",
    graphName: "yolo_like",
    nodes: b.nodes,
    initializers: b.initializers,
    inputs: [{ name: "images", elemType: DataType.FLOAT, shape: [1, 3, SIZE, SIZE] }],
    outputs: [{ name: "output0", elemType: DataType.FLOAT, shape: [1, 4 + CLASSES, ANCHORS] }],
  });
}

Deno.test("YOLO: a known output is decoded, letterboxed back and suppressed per class", async () => {
  const detector = new YoloDetector(await loadOnnxModel(yoloLikeModel()), {
    inputSize: SIZE,
    labels: ["cat", "dog"],
  });
  // A white 128×72 photo: scale 0.5 into 64×36, grey padding of 14 rows above and below.
  const photo = rgbImage(128, 72, new Uint8Array(128 * 72 * 3).fill(255));
  const found = await detector.detect(photo);
  const expectedMean = (36 * 1 + 28 * (114 / 255)) / 64;
  assert.equal(found.length, 2, JSON.stringify(found));
  const [dog, cat] = found;
  assert.equal(dog.label, "dog");
  assert.equal(dog.classId, 1);
  assert.ok(Math.abs(dog.score - 0.9) < 1e-6);
  // cx 10, cy 20, 8×8 in the square → (6−0)/0.5, (16−14)/0.5 … in the photo.
  assert.deepEqual(dog.box.map((v) => Math.round(v * 100) / 100), [12, 4, 28, 20]);
  assert.equal(cat.label, "cat");
  assert.ok(Math.abs(cat.score - expectedMean) < 2e-3, `cat score ${cat.score}`);
  // The 0.5-score twin of anchor 0 overlaps it and is suppressed.
  assert.deepEqual(cat.box.map((v) => Math.round(v * 100) / 100), [44, 26, 84, 46]);
});

Deno.test("YOLO: an output of the wrong shape is refused with what to do", () => {
  const fit = { scale: 1, padX: 0, padY: 0 };
  const options = {
    scoreThreshold: 0.25,
    nmsIou: 0.45,
    maxDetections: 10,
    fit,
    width: 64,
    height: 64,
    labels: [],
  };
  const transposed = { data: new Float32Array(8400 * 84), dims: [1, 8400, 84] };
  assert.throws(() => decodeYolo(transposed, options), /\[1, 4 \+ classes, anchors\]/);
  const unknownClass = { data: fixedOutput(), dims: [1, 4 + CLASSES, ANCHORS] };
  const labelled = decodeYolo(unknownClass, options);
  assert.ok(labelled.every((d) => d.label === `class_${d.classId}`));
});
