/**
 * A measurement hook for benchmarks: export a manifest into any sink (by default
 * `/dev/null`) and report the time it took, the bytes written and the resident set size
 * sampled while it ran — the numbers that show the export streams.
 *
 * @module
 */
import { exportBundleTo, type ExportDeps } from "./export.ts";

/** What one export cost. */
export interface ExportMeasurement {
  /** Bytes of ZIP written. */
  readonly bytes: number;
  /** Wall time from reading the rows to the last byte written. */
  readonly ms: number;
  /** Resident set size just before the export. */
  readonly rssBeforeBytes: number;
  /** Highest resident set size seen while it ran (sampled on every chunk and every `sampleMs`). */
  readonly peakRssBytes: number;
}

/** Options of {@linkcode measureExport}. */
export interface MeasureOptions {
  /** Where the ZIP goes; `/dev/null` when not given. */
  readonly sink?: WritableStream<Uint8Array>;
  /** How often RSS is sampled besides on every chunk, in milliseconds. */
  readonly sampleMs?: number;
}

/** Exports manifest `manifestId`, measuring it. */
export async function measureExport(
  deps: ExportDeps,
  manifestId: string,
  options: MeasureOptions = {},
): Promise<ExportMeasurement> {
  const sink = options.sink ?? (await Deno.open("/dev/null", { write: true })).writable;
  const rssBeforeBytes = Deno.memoryUsage().rss;
  let peakRssBytes = rssBeforeBytes;
  const sample = () => {
    peakRssBytes = Math.max(peakRssBytes, Deno.memoryUsage().rss);
  };
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length;
      sample();
      controller.enqueue(chunk);
    },
  });
  const timer = setInterval(sample, options.sampleMs ?? 10);
  const started = performance.now();
  // Closing (or, on failure, aborting) the sink also closes /dev/null.
  const piped = counter.readable.pipeTo(sink);
  try {
    await exportBundleTo(deps, manifestId, counter.writable).catch(async (error) => {
      await piped.catch(() => {});
      throw error;
    });
    await piped;
  } finally {
    clearInterval(timer);
  }
  sample();
  return { bytes, ms: performance.now() - started, rssBeforeBytes, peakRssBytes };
}
