/**
 * The main thread's typed view of the image operations that run in pool workers.
 *
 * @module
 */
import type { InspectedImage } from "../imaging/magick_ops.ts";
import type { EnginePool } from "./engine_pool.ts";

export type { InspectedImage } from "../imaging/magick_ops.ts";

/** Side of the thumbnail made at upload time (also the default served size). */
export const DEFAULT_THUMBNAIL_SIZE = 256;

/** Image work delegated to the worker pool. */
export class ImageService {
  readonly #pool: EnginePool;
  readonly #maxPixels: number;

  constructor(pool: EnginePool, options: { maxPixels: number }) {
    this.#pool = pool;
    this.#maxPixels = options.maxPixels;
  }

  /**
   * Decodes and checks an upload (see `inspectImage`). `bytes` is copied before it is
   * transferred, so the caller keeps its buffer for hashing and storing.
   */
  inspect(bytes: Uint8Array): Promise<InspectedImage> {
    const copy = bytes.slice();
    return this.#pool.run(
      "image.inspect",
      { bytes: copy, maxPixels: this.#maxPixels, thumbnailSize: DEFAULT_THUMBNAIL_SIZE },
      [copy.buffer],
    );
  }

  /** A JPEG thumbnail whose longer side is `size` pixels. */
  thumbnail(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    const copy = bytes.slice();
    return this.#pool.run("image.thumbnail", { bytes: copy, size }, [copy.buffer]);
  }
}
