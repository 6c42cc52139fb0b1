import assert from "node:assert/strict";
import { BACKOFF, parseRetryAfter, retryDelayMs, sleep } from "./retry.ts";

Deno.test("backoff doubles with equal jitter and is capped", () => {
  assert.equal(retryDelayMs(0, null, () => 0), 500);
  assert.equal(retryDelayMs(0, null, () => 1), 1000);
  assert.equal(retryDelayMs(3, null, () => 0), 4000);
  assert.equal(retryDelayMs(20, null, () => 1), BACKOFF.maxMs);
});

Deno.test("a Retry-After is a floor with a little jitter", () => {
  assert.equal(retryDelayMs(0, 1000, () => 0), 1000);
  assert.equal(retryDelayMs(0, 1000, () => 1), 1000 + BACKOFF.retryAfterJitterMs);
  assert.equal(retryDelayMs(5, 2000, () => 0), 2000);
});

Deno.test("Retry-After is read as seconds or as an HTTP date", () => {
  assert.equal(parseRetryAfter("1"), 1000);
  assert.equal(parseRetryAfter("2.5"), 2500);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now), 3000);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("soon"), null);
});

Deno.test("sleep stops at once when its signal aborts", async () => {
  const controller = new AbortController();
  const started = performance.now();
  const waiting = sleep(10_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.ok(performance.now() - started < 1000);
});
