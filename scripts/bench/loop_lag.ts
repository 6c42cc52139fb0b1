/**
 * How long this thread's event loop was blocked: a timer due every `intervalMs` notes how
 * late it fires. The service runs in the bench process, so a late timer is a late HTTP
 * answer or WebSocket frame too.
 *
 * A drift timer rather than `monitorEventLoopDelay` from `node:perf_hooks`: under Deno 2.9
 * that histogram stays near its 1 ms resolution while the loop is blocked for 300 ms.
 *
 * @module
 */
import { quantile } from "./stats.ts";

/** One late firing: how late, and when the block began (seconds after the monitor started). */
export interface Stall {
  readonly ms: number;
  readonly startS: number;
}

/** What {@linkcode LoopLagMonitor.stop} reports; milliseconds of lateness. */
export interface LoopLag {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly worstMs: number;
  /** The longest blocks, longest first. */
  readonly longest: readonly Stall[];
}

/** A running monitor. */
export interface LoopLagMonitor {
  /** Milliseconds since the monitor started, on the same clock as {@linkcode Stall.startS}. */
  elapsedMs(): number;
  stop(): LoopLag;
}

/** Starts measuring; keep the interval short (10 ms) so short blocks are seen. */
export function monitorLoopLag(intervalMs = 10, keep = 5): LoopLagMonitor {
  const started = performance.now();
  const lags: number[] = [];
  const stalls: Stall[] = [];
  let last = started;
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = Math.max(0, now - last - intervalMs);
    last = now;
    lags.push(lag);
    if (lag >= 50) {
      stalls.push({ ms: round(lag), startS: Math.round((now - lag - started) / 10) / 100 });
    }
  }, intervalMs);
  return {
    elapsedMs: () => performance.now() - started,
    stop() {
      clearInterval(timer);
      const values = lags.length > 0 ? lags : [0];
      return {
        samples: lags.length,
        p50Ms: round(quantile(values, 0.5)),
        p99Ms: round(quantile(values, 0.99)),
        worstMs: round(values.reduce((a, b) => Math.max(a, b), 0)),
        longest: stalls.sort((a, b) => b.ms - a.ms).slice(0, keep),
      };
    },
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
