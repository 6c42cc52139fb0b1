/**
 * Scratch folders for the benchmarks' services and databases, under `.cache/bench/`: the
 * bench task may then write to `./.cache` only, the folder it already needs for downloads.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../.cache/bench/", import.meta.url));

/** A new empty folder for one benchmark; the caller removes it. */
export async function benchDataDir(prefix: string): Promise<string> {
  await Deno.mkdir(ROOT, { recursive: true });
  return await Deno.makeTempDir({ dir: ROOT, prefix });
}
