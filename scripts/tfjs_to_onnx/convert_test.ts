/**
 * Parity of the converted CenterNet detector with the original TFJS graph model, checked
 * against the reference recorded by `record_reference.ts` (TFJS CPU backend, sample1.jpg).
 *
 * ORT replaces `globalThis.Worker` once it initialises, so this file starts no Workers.
 */
import assert from "node:assert/strict";
// Inline until the import map gets it (deno.json is owned elsewhere).
import * as ort from "onnxruntime-web";
import { sha256Hex } from "../../src/storage/sha256.ts";
import { convertTfjsGraph } from "./convert.ts";
import type { CenterNetReference } from "./reference.ts";
import { COCO_LABELS } from "../../src/vision/coco_labels.ts";
import { decodeCenterNet } from "../../src/vision/centernet.ts";
import {
  CENTERNET_INPUT,
  CENTERNET_OUTPUTS,
  CENTERNET_SIZE,
  loadCenterNetFiles,
  photoInput,
} from "./sample_input.ts";

const ROOT = new URL("../../", import.meta.url);
const REFERENCE = new URL("tests/fixtures/reference/centernet_sample1.json", ROOT);
const CACHE_DIR = new URL(".cache", ROOT).pathname;

/** Heat-map values are sigmoid outputs; TFJS vs ORT differ by float rounding only. */
const HEAT_TOLERANCE = 1e-4;
/** Box sizes are in input pixels (up to a few hundred); 2e-2 px is far below one pixel. */
const WH_TOLERANCE = 2e-2;
/** Relative tolerance of whole-output sums. */
const SUM_TOLERANCE = 1e-5;

function maxAbsDiff(pairs: Iterable<[number, number]>): number {
  let worst = 0;
  for (const [a, b] of pairs) worst = Math.max(worst, Math.abs(a - b));
  return worst;
}

function sumAndMax(values: Float32Array): { sum: number; max: number } {
  let sum = 0;
  let max = -Infinity;
  for (const value of values) {
    sum += value;
    if (value > max) max = value;
  }
  return { sum, max };
}

Deno.test("CenterNet converted to ONNX matches the original TFJS outputs", async (t) => {
  const reference: CenterNetReference = JSON.parse(await Deno.readTextFile(REFERENCE));
  const { modelJson, jsonBytes, weights } = await loadCenterNetFiles(CACHE_DIR);
  assert.equal(await sha256Hex(jsonBytes), reference.model.jsonSha256, "model.json changed");
  assert.equal(await sha256Hex(weights), reference.model.weightsSha256, "weights changed");

  const onnx = convertTfjsGraph(modelJson, weights, { outputs: [...CENTERNET_OUTPUTS] });

  await t.step("conversion is deterministic", async () => {
    const again = convertTfjsGraph(modelJson, weights, { outputs: [...CENTERNET_OUTPUTS] });
    assert.equal(await sha256Hex(again), await sha256Hex(onnx));
  });

  const input = await photoInput(reference.input.photo);
  assert.equal(
    await sha256Hex(new Uint8Array(input.buffer)),
    reference.input.sha256,
    "the 512×512 input differs from the recorded one (decoder or resize changed)",
  );

  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(onnx);
  assert.deepEqual(session.inputNames, [CENTERNET_INPUT]);
  assert.deepEqual(session.outputNames, [...CENTERNET_OUTPUTS]);
  const feeds = {
    [CENTERNET_INPUT]: new ort.Tensor("float32", input, [1, CENTERNET_SIZE, CENTERNET_SIZE, 3]),
  };
  const results = await session.run(feeds);
  const keypoints = results[CENTERNET_OUTPUTS[0]];
  const wh = results[CENTERNET_OUTPUTS[1]];
  await session.release();

  await t.step("outputs keep the TFJS NHWC shapes", () => {
    assert.deepEqual(keypoints.dims, reference.keypoints.shape);
    assert.deepEqual(wh.dims, reference.wh.shape);
  });

  const heat = keypoints.data as Float32Array;
  const sizes = wh.data as Float32Array;
  const classes = reference.keypoints.shape[3];
  const channels = reference.wh.shape[3];

  await t.step("heat-map: top values, samples, max and sum", () => {
    const top = reference.top.index.map((index, k): [number, number] => [
      heat[index],
      reference.top.value[k],
    ]);
    assert.ok(maxAbsDiff(top) <= HEAT_TOLERANCE, `top-K max |Δ| ${maxAbsDiff(top)}`);
    const samples = reference.samples.keypoints.map((value, k): [number, number] => [
      heat[k * reference.samples.stride],
      value,
    ]);
    assert.ok(maxAbsDiff(samples) <= HEAT_TOLERANCE, `samples max |Δ| ${maxAbsDiff(samples)}`);
    const { sum, max } = sumAndMax(heat);
    assert.ok(Math.abs(max - reference.keypoints.max) <= HEAT_TOLERANCE, `max ${max}`);
    assert.ok(
      Math.abs(sum - reference.keypoints.sum) <= SUM_TOLERANCE * reference.keypoints.sum,
      `sum ${sum} vs ${reference.keypoints.sum}`,
    );
  });

  await t.step("sizes (wh): at the top heat-map pixels, samples and sum", () => {
    const atTop = reference.top.index.flatMap((index, k) => {
      const pixel = Math.floor(index / classes);
      return Array.from({ length: channels }, (_, c): [number, number] => [
        sizes[pixel * channels + c],
        reference.top.wh[k * channels + c],
      ]);
    });
    assert.ok(maxAbsDiff(atTop) <= WH_TOLERANCE, `wh max |Δ| ${maxAbsDiff(atTop)} px`);
    const samples = reference.samples.wh.map((value, k): [number, number] => [
      sizes[k * reference.samples.stride],
      value,
    ]);
    assert.ok(maxAbsDiff(samples) <= WH_TOLERANCE, `wh samples max |Δ| ${maxAbsDiff(samples)}`);
    const { sum } = sumAndMax(sizes);
    assert.ok(
      Math.abs(sum - reference.wh.sum) <= SUM_TOLERANCE * Math.abs(reference.wh.sum),
      `wh sum ${sum} vs ${reference.wh.sum}`,
    );
  });

  await t.step("decoded detections equal the reference's", () => {
    const options = {
      scoreThreshold: 0.2,
      nmsIou: 0.4,
      maxDetections: 100,
      width: CENTERNET_SIZE,
      height: CENTERNET_SIZE,
      labels: COCO_LABELS,
    };
    const [, grid, , classesCount] = reference.keypoints.shape;
    const ours = decodeCenterNet({ heat, wh: sizes, grid, classes: classesCount }, options);
    const theirs = decodeCenterNet(sparseReference(reference), options);
    assert.ok(theirs.filter((d) => d.label === "person").length >= 3, "too few people");
    assert.deepEqual(ours.map((d) => d.label), theirs.map((d) => d.label));
    ours.forEach((d, i) => {
      assert.ok(Math.abs(d.score - theirs[i].score) <= HEAT_TOLERANCE);
      d.box.forEach((v, k) => assert.ok(Math.abs(v - theirs[i].box[k]) <= WH_TOLERANCE));
    });
  });
});

/**
 * The reference keeps the top 200 heat-map values (all ≥ 0.177) and the sizes there. A cell
 * ≥ 0.2 is a peak iff no neighbour is larger, and any larger neighbour is in that top list
 * too, so decoding the sparse reference gives exactly the TFJS model's detections.
 */
function sparseReference(reference: CenterNetReference) {
  const [, grid, , classes] = reference.keypoints.shape;
  const heat = new Float32Array(grid * grid * classes);
  const wh = new Float32Array(grid * grid * 4);
  reference.top.index.forEach((index, k) => {
    heat[index] = reference.top.value[k];
    const pixel = Math.floor(index / classes);
    wh.set(reference.top.wh.slice(k * 4, k * 4 + 4), pixel * 4);
  });
  return { heat, wh, grid, classes };
}

Deno.test("an unsupported op on the way to an output is named in the error", async () => {
  const { modelJson, weights } = await loadCenterNetFiles(CACHE_DIR);
  // The signature also lists tower_0/detections, which needs the TopK/Gather decode tail.
  assert.throws(
    () => convertTfjsGraph(modelJson, weights),
    /Op \w+ \(node tower_0\/[^)]+\) is not supported\. Pick outputs/,
  );
});
