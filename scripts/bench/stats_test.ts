import assert from "node:assert/strict";
import { quantile, summarize } from "./stats.ts";

Deno.test("quantiles interpolate between order statistics", () => {
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([10], 0.95), 10);
  const hundred = Array.from({ length: 101 }, (_, i) => 100 - i);
  assert.deepEqual(summarize(hundred), { n: 101, median: 50, p95: 95 });
  assert.throws(() => quantile([], 0.5), /No samples/);
});
