/**
 * Bounded parallelism for a step's units of work.
 *
 * @module
 */

/**
 * Runs `work` on every item with at most `lanes` in flight, in item order per lane. The first
 * failure stops the other lanes from taking new items, and is thrown once all have settled.
 */
export async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  // An index, not shift(): taking from the front of a long array moves all the rest.
  let next = 0;
  const lane = async () => {
    try {
      while (next < items.length) await work(items[next++]);
    } catch (error) {
      next = items.length;
      throw error;
    }
  };
  const count = Math.max(1, Math.min(lanes, items.length));
  const results = await Promise.allSettled(Array.from({ length: count }, lane));
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
}
