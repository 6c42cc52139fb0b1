import assert from "node:assert/strict";
import { inLanes } from "./lanes.ts";

Deno.test("inLanes keeps at most `lanes` in flight and visits every item once", async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  await inLanes([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    seen.push(n);
    active--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("inLanes stops taking items after a failure and throws it", async () => {
  const seen: number[] = [];
  await assert.rejects(
    inLanes([1, 2, 3, 4, 5, 6], 2, async (n) => {
      await Promise.resolve();
      if (n === 2) throw new Error("boom");
      seen.push(n);
    }),
    /boom/,
  );
  assert.ok(seen.length < 5, `took ${seen.length} items after the failure`);
});
