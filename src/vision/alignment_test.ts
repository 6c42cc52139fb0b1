import assert from "node:assert/strict";
import {
  ALIGNED_SIZE,
  alignFace,
  applyAffine,
  ARCFACE_TEMPLATE,
  estimateSimilarity,
  invertAffine,
  type Point,
} from "./alignment.ts";
import { rgbImage } from "../imaging/raster.ts";

function close(a: Point, b: Point, tolerance = 1e-6): void {
  assert.ok(
    Math.hypot(a[0] - b[0], a[1] - b[1]) <= tolerance,
    `${a.join(",")} is not ${b.join(",")}`,
  );
}

Deno.test("a rotated, scaled and moved template is mapped back exactly", () => {
  const angle = 0.3, scale = 2.5, dx = 400, dy = 120;
  const moved = ARCFACE_TEMPLATE.map(([x, y]): Point => [
    scale * (Math.cos(angle) * x - Math.sin(angle) * y) + dx,
    scale * (Math.sin(angle) * x + Math.cos(angle) * y) + dy,
  ]);
  const m = estimateSimilarity(moved, ARCFACE_TEMPLATE);
  moved.forEach((point, i) => close(applyAffine(m, point), ARCFACE_TEMPLATE[i]));
  const back = invertAffine(m);
  ARCFACE_TEMPLATE.forEach((point, i) => close(applyAffine(back, point), moved[i]));
});

Deno.test("a mirrored face is not reflected back (similarity, not affine)", () => {
  const mirrored = ARCFACE_TEMPLATE.map(([x, y]): Point => [112 - x, y]);
  const m = estimateSimilarity(mirrored, ARCFACE_TEMPLATE);
  // A similarity keeps orientation: its determinant is positive.
  assert.ok(m[0] * m[4] - m[1] * m[3] > 0);
});

Deno.test("coincident points are refused with a clear error", () => {
  const same: Point[] = [[5, 5], [5, 5]];
  assert.throws(() => estimateSimilarity(same, same), /coincide/);
});

Deno.test("alignFace moves a marked landmark onto its template position", () => {
  const width = 300, height = 200;
  const data = new Uint8Array(width * height * 3);
  // A 3×3 white square at the nose tip of a face twice the template's size.
  const points = ARCFACE_TEMPLATE.map(([x, y]): Point => [x * 2 + 50, y * 2 + 10]);
  const [nx, ny] = points[2].map(Math.round);
  for (let y = ny - 1; y <= ny + 1; y++) {
    for (let x = nx - 1; x <= nx + 1; x++) {
      data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  const aligned = alignFace(rgbImage(width, height, data), points);
  assert.equal(aligned.width, ALIGNED_SIZE);
  let brightest = 0, at: Point = [0, 0];
  for (let i = 0; i < ALIGNED_SIZE * ALIGNED_SIZE; i++) {
    if (aligned.data[i * 3] > brightest) {
      brightest = aligned.data[i * 3];
      at = [i % ALIGNED_SIZE, Math.floor(i / ALIGNED_SIZE)];
    }
  }
  close(at, ARCFACE_TEMPLATE[2].map(Math.round) as unknown as Point, 1.5);
});
