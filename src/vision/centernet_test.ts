import assert from "node:assert/strict";
import { decodeCenterNet } from "./centernet.ts";
import { COCO_LABELS } from "./coco_labels.ts";

const GRID = 8;
const CLASSES = 3;

function outputs(cells: { x: number; y: number; c: number; score: number; wh: number[] }[]) {
  const heat = new Float32Array(GRID * GRID * CLASSES);
  const wh = new Float32Array(GRID * GRID * 4);
  for (const { x, y, c, score, wh: edges } of cells) {
    heat[(y * GRID + x) * CLASSES + c] = score;
    wh.set(edges, (y * GRID + x) * 4);
  }
  return { heat, wh, grid: GRID, classes: CLASSES };
}

const OPTIONS = {
  scoreThreshold: 0.2,
  nmsIou: 0.4,
  maxDetections: 10,
  width: 64, // grid 8 × stride 4 = 32 input pixels → scaled ×2
  height: 32, // ×1
  labels: COCO_LABELS,
};

Deno.test("CenterNet decode: peaks become boxes scaled to the photo", () => {
  const found = decodeCenterNet(
    outputs([
      { x: 2, y: 3, c: 0, score: 0.9, wh: [4, 2, 4, 6] },
      // A weaker neighbour of the same class is not a peak.
      { x: 3, y: 3, c: 0, score: 0.5, wh: [1, 1, 1, 1] },
      // The same cell in another class is its own peak.
      { x: 3, y: 3, c: 2, score: 0.4, wh: [2, 2, 2, 2] },
      // Under the threshold.
      { x: 6, y: 6, c: 1, score: 0.1, wh: [2, 2, 2, 2] },
    ]),
    OPTIONS,
  );
  assert.deepEqual(found.map((d) => d.label), ["person", "car"]);
  // centre (8, 12): (8 − 4, 12 − 2, 8 + 4, 12 + 6) × (2, 1).
  assert.deepEqual(found[0].box, [8, 10, 24, 18]);
  assert.deepEqual(found[1].box, [20, 10, 28, 14]);
});

Deno.test("CenterNet decode: overlapping peaks of one class keep the best; boxes are clamped", () => {
  const found = decodeCenterNet(
    outputs([
      { x: 1, y: 1, c: 1, score: 0.8, wh: [8, 8, 8, 8] },
      { x: 4, y: 1, c: 1, score: 0.6, wh: [20, 8, 8, 8] },
    ]),
    OPTIONS,
  );
  assert.equal(found.length, 1);
  assert.equal(found[0].score, Math.fround(0.8));
  assert.deepEqual(found[0].box, [0, 0, 24, 12]);
});
