/**
 * A client that keeps reading one endpoint of the service while a job runs, the way a
 * dashboard polls, and records how long each answer took: one request at a time, the next
 * `intervalMs` after the previous answer. Run in the bench process, on the service's own
 * event loop, so a blocked loop shows up here as a slow answer.
 *
 * @module
 */
import { quantile } from "./stats.ts";

/** Latencies of one endpoint, in milliseconds, from sending to the whole body read. */
export interface ProbeSummary {
  readonly path: string;
  readonly requests: number;
  /** Answers that were not 2xx, or requests that failed. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Mean body size, in KiB: what the endpoint costs grows with it. */
  readonly meanKiB: number;
}

/** A running probe. */
export interface LatencyProbe {
  /** Ends the loop after its current request and summarises it. */
  stop(): Promise<ProbeSummary>;
}

/**
 * Polls `baseUrl + path` every `intervalMs` until stopped; `onBody` sees each parsed JSON
 * answer (the progress probe uses it to notice the job's end).
 */
export function startProbe(
  baseUrl: string,
  path: string,
  options: { intervalMs: number; onBody?: (body: unknown) => void },
): LatencyProbe {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      const start = performance.now();
      try {
        const response = await fetch(`${baseUrl}${path}`);
        const text = await response.text();
        latencies.push(performance.now() - start);
        bytes += text.length;
        if (!response.ok) errors++;
        else options.onBody?.(JSON.parse(text));
      } catch {
        errors++;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();
  return {
    async stop() {
      stopped = true;
      (wake as (() => void) | null)?.();
      await loop;
      const values = latencies.length > 0 ? latencies : [0];
      const round = (n: number) => Math.round(n * 10) / 10;
      return {
        path,
        requests: latencies.length,
        errors,
        p50Ms: round(quantile(values, 0.5)),
        p99Ms: round(quantile(values, 0.99)),
        maxMs: round(values.reduce((a, b) => Math.max(a, b), 0)),
        meanKiB: round(bytes / Math.max(1, latencies.length) / 1024),
      };
    },
  };
}
