/**
 * A zod refinement for catalogs: no two entries of a list may share a name or an output path.
 *
 * @module
 */
import type { z } from "zod";

/**
 * Adds an issue at `[list, i, key]` for every entry whose `key` repeats an earlier entry's.
 * Use inside `superRefine` of a catalog schema.
 */
export function rejectRepeatedFields<Entry extends Record<string, unknown>>(
  entries: readonly Entry[],
  list: string,
  keys: readonly (keyof Entry & string)[],
  ctx: z.RefinementCtx,
): void {
  for (const key of keys) {
    const seen = new Set<unknown>();
    entries.forEach((entry, i) => {
      if (seen.has(entry[key])) {
        ctx.addIssue({
          code: "custom",
          path: [list, i, key],
          message: `"${entry[key]}" is used by another entry`,
        });
      }
      seen.add(entry[key]);
    });
  }
}
