/**
 * When to try a remote call again: exponential backoff with jitter, and the server's own
 * `Retry-After` when it gave one. Pure, so the policy is tested without waiting.
 *
 * @module
 */

/** Bounds of the backoff. */
export const BACKOFF = Object.freeze({ baseMs: 1_000, maxMs: 30_000, retryAfterJitterMs: 250 });

/**
 * Milliseconds to wait before retry number `attempt + 1` (attempt 0 failed first). "Equal
 * jitter": half the exponential step fixed, half random, so callers spread out but still back
 * off. A `Retry-After` from the server is a floor, plus a little jitter so callers told the same
 * second do not return together.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const step = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** attempt);
  const backoff = step / 2 + random() * (step / 2);
  if (retryAfterMs === null) return Math.round(backoff);
  return Math.round(
    Math.min(Math.max(retryAfterMs, 0), 5 * 60_000) + random() * BACKOFF.retryAfterJitterMs,
  );
}

/** A `Retry-After` header (seconds or an HTTP date) in milliseconds, or null. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
