import assert from "node:assert/strict";
import { monitorLoopLag } from "./loop_lag.ts";

Deno.test("monitorLoopLag sees a blocked event loop and when the block began", async () => {
  const monitor = monitorLoopLag(10);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const blockedAt = monitor.elapsedMs();
  const until = performance.now() + 200;
  while (performance.now() < until) { /* block the loop */ }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const lag = monitor.stop();
  assert.ok(lag.worstMs >= 180, `worst ${lag.worstMs} ms`);
  assert.equal(lag.longest[0].ms, lag.worstMs);
  assert.ok(Math.abs(lag.longest[0].startS * 1000 - blockedAt) < 30);
});
