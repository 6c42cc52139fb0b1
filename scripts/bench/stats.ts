/**
 * Summary statistics for benchmark samples.
 *
 * @module
 */

/** Median and 95th percentile of a sample, rounded to 0.1 ms. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
}

/** The `q` quantile (0..1) by linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error("No samples to summarise.");
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** Median and p95 of `values`, rounded to `decimals` places (one by default). */
export function summarize(values: readonly number[], decimals = 1): Summary {
  const round = (n: number) => Math.round(n * 10 ** decimals) / 10 ** decimals;
  return {
    n: values.length,
    median: round(quantile(values, 0.5)),
    p95: round(quantile(values, 0.95)),
  };
}
