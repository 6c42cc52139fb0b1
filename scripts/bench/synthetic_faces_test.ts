import assert from "node:assert/strict";
import { syntheticFaces } from "./synthetic_faces.ts";

const dot = (x: Float32Array, y: Float32Array) =>
  x.reduce((sum, value, k) => sum + value * y[k], 0);

Deno.test("synthetic faces: unit rows, one person at most once per photo, same for a seed", () => {
  const faces = syntheticFaces(400, 3);
  assert.deepEqual(faces, syntheticFaces(400, 3));
  assert.equal(faces.embeddings.length, 400 * 512);
  const row = (i: number) => faces.embeddings.subarray(i * 512, (i + 1) * 512);
  for (let i = 0; i < faces.count; i++) assert.ok(Math.abs(dot(row(i), row(i)) - 1) < 1e-4);
  const seen = new Set<string>();
  for (let i = 0; i < faces.count; i++) {
    const key = `${faces.photos[i]}:${faces.people[i]}`;
    assert.ok(!seen.has(key), `person ${faces.people[i]} twice in photo ${faces.photos[i]}`);
    seen.add(key);
    if (i > 0) assert.ok(faces.photos[i] >= faces.photos[i - 1], "faces are in photo order");
  }
  assert.ok(faces.peopleCount >= 400 / 8 && faces.peopleCount <= 400 / 2 + 1);
});

Deno.test("synthetic faces: one person's faces are alike, different people are not", () => {
  const faces = syntheticFaces(300, 5);
  const row = (i: number) => faces.embeddings.subarray(i * 512, (i + 1) * 512);
  const within: number[] = [];
  const between: number[] = [];
  for (let i = 0; i < faces.count; i++) {
    for (let j = i + 1; j < faces.count; j++) {
      (faces.people[i] === faces.people[j] ? within : between).push(dot(row(i), row(j)));
    }
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.min(...within) > 0.4 && Math.max(...within) < 0.9, "within 0.5–0.8 ± noise");
  assert.ok(mean(within) > 0.55 && mean(within) < 0.75);
  assert.ok(Math.abs(mean(between)) < 0.01 && Math.max(...between) < 0.3);
});
