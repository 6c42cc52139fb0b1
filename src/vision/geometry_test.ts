import assert from "node:assert/strict";
import { area, iou, nonMaxSuppression, padBox } from "./geometry.ts";

Deno.test("iou is 1 for equal boxes, 0 for disjoint ones and symmetric", () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [20, 20, 30, 30]), 0);
  const a = [0, 0, 10, 10] as const, b = [5, 0, 15, 10] as const;
  assert.equal(iou(a, b), 50 / 150);
  assert.equal(iou(a, b), iou(b, a));
  assert.equal(area([10, 10, 0, 0]), 0);
});

Deno.test("nonMaxSuppression keeps the best of overlapping boxes and every separate one", () => {
  const kept = nonMaxSuppression([
    { box: [0, 0, 10, 10], score: 0.7 },
    { box: [1, 1, 11, 11], score: 0.9 },
    { box: [50, 50, 60, 60], score: 0.8 },
  ], 0.4);
  assert.deepEqual(kept.map((d) => d.score), [0.9, 0.8]);
});

Deno.test("padBox grows by a fraction per side and stays inside the image", () => {
  assert.deepEqual(padBox([10, 10, 20, 30], 0.3, 100, 100), [7, 4, 23, 36]);
  assert.deepEqual(padBox([0, 0, 100, 100], 0.1, 100, 100), [0, 0, 100, 100]);
});
