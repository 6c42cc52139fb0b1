import assert from "node:assert/strict";
import { exactPeople } from "./cluster_run.ts";
import { growthOf } from "./scale.ts";
import type { ManifestJobResult } from "./manifest_job.ts";

Deno.test("exactPeople counts people found as one cluster of their own", () => {
  const people = Int32Array.from([0, 0, 1, 1, 2, 2]);
  assert.equal(exactPeople(people, Int32Array.from([5, 5, 6, 6, 7, 7])), 3);
  // Person 1 split in two, persons 0 and 2 merged: nobody is exact.
  assert.equal(exactPeople(people, Int32Array.from([0, 0, 1, 2, 0, 0])), 0);
});

Deno.test("growthOf gives the exponent of each cost in the photo count", () => {
  const size = (photos: number, wallSeconds: number, finalizing: number | null) =>
    ({ photos, wallSeconds, stepsMs: { finalizing } }) as unknown as ManifestJobResult;
  const [growth] = growthOf([size(10, 5, 100), size(100, 50, 10_000)]);
  assert.deepEqual(growth, { from: 10, to: 100, wall: 1, steps: { finalizing: 2 } });
  assert.equal(growthOf([size(10, 5, 100), size(100, 50, null)])[0].steps.finalizing, null);
});
