import assert from "node:assert/strict";
import type { Point } from "./alignment.ts";
import { fivePointsOf68 } from "./landmarks.ts";

Deno.test("68 landmarks reduce to eye centres, nose tip and mouth corners", () => {
  const points: Point[] = Array.from({ length: 68 }, (_, i) => [i, 100 + i]);
  const five = fivePointsOf68(points);
  assert.deepEqual(five, [
    [39, 139], // mean of 37, 38, 40, 41
    [45, 145], // mean of 43, 44, 46, 47
    [30, 130],
    [54, 154], // mean of 48 and 60
    [59, 159], // mean of 54 and 64
  ]);
  assert.throws(() => fivePointsOf68(points.slice(5)), /Expected 68 landmarks, got 63/);
});
