/**
 * Memory readings of this process for the benchmarks. The service runs inside the bench
 * process and its workers are threads of it, so these numbers cover the whole service.
 *
 * @module
 */
import process from "node:process";

const MB = 2 ** 20;

/** Resident set size now, in MiB. */
export function rssMb(): number {
  return Math.round(Deno.memoryUsage().rss / MB);
}

/**
 * The highest resident set size this process has had since it started (getrusage's maxrss),
 * in MiB. It never goes down, so after a bigger job it also bounds the smaller ones before it.
 */
export function maxRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Runs a full garbage collection of this thread's heap when the process was started with
 * `--v8-flags=--expose-gc`; answers whether it could. Workers' heaps are not collected.
 */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return false;
  gc();
  return true;
}

/** A running RSS sampler; `stop` answers the highest sample in MiB. */
export interface RssSampler {
  stop(): number;
}

/**
 * Samples RSS every `intervalMs` until stopped. Unlike maxrss it tells one job's peak apart
 * from an earlier, bigger one; it misses a peak shorter than the interval, or one reached
 * while this thread's event loop is blocked.
 */
export function sampleRss(intervalMs = 50): RssSampler {
  let peak = Deno.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, Deno.memoryUsage().rss) / MB);
    },
  };
}
