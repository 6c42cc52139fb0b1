/**
 * A deterministic set of distinct photos made from the six demo photos, for benchmarks that
 * need many uploads: `generatePhotos(480, 1)` yields the same 480 JPEGs on every machine.
 *
 * Photos are made one at a time in a worker (one ahead of the consumer), so at most two are
 * in memory and the calling thread stays free. Each is byte-distinct from the others of the
 * set: the service refuses a second upload with the same SHA-256 in one manifest (409).
 *
 * @module
 */
import { WorkerPool } from "../../src/workers/pool.ts";
import { sha256Hex } from "../../src/storage/sha256.ts";
import type { PhotoOps } from "./photo_worker.ts";
import { type PhotoRecipe, photoRecipe } from "./photo_recipe.ts";

/** One generated photo. */
export interface GeneratedPhoto {
  /** Position in the set, from 0. */
  readonly index: number;
  /** A file name that says where it comes from, e.g. `bench-007-sample2.jpg`. */
  readonly name: string;
  /** JPEG bytes. */
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The edits that made it from its source. */
  readonly recipe: PhotoRecipe;
  /** Lowercase hex SHA-256 of `bytes`. */
  readonly sha256: string;
}

/** Tries per slot before giving up on making it distinct (a clash needs identical edits). */
const MAX_ATTEMPTS = 5;

/**
 * Yields `count` distinct JPEGs for `seed`, in order. Needs the demo photos
 * (`deno task fixtures`) and read access to node_modules for magick-wasm.
 */
export async function* generatePhotos(
  count: number,
  seed: number,
): AsyncGenerator<GeneratedPhoto, void, undefined> {
  const pool = new WorkerPool<PhotoOps>({
    size: 1,
    script: new URL("./photo_worker.ts", import.meta.url),
    name: "bench-photos",
  });
  const seen = new Set<string>();
  const make = (index: number, attempt: number) =>
    pool.run("photo.make", { seed, index, attempt }).then((made) => ({ ...made, attempt }));
  try {
    await pool.ready();
    let next = count > 0 ? make(0, 0) : null;
    for (let index = 0; index < count; index++) {
      let made = await next!;
      // Ask for the next photo before this one is consumed, so uploads overlap encoding.
      next = index + 1 < count ? make(index + 1, 0) : null;
      let sha256 = await sha256Hex(made.bytes);
      while (seen.has(sha256)) {
        if (made.attempt + 1 >= MAX_ATTEMPTS) {
          throw new Error(`Photo ${index} of seed ${seed} repeats an earlier one.`);
        }
        made = await make(index, made.attempt + 1);
        sha256 = await sha256Hex(made.bytes);
      }
      seen.add(sha256);
      const recipe = photoRecipe(seed, index, made.attempt);
      yield {
        index,
        name: `bench-${String(index).padStart(3, "0")}-${recipe.source}`,
        bytes: made.bytes,
        width: made.width,
        height: made.height,
        recipe,
        sha256,
      };
    }
    await next?.catch(() => {});
  } finally {
    pool.close();
  }
}
