/**
 * The main thread's typed view of the image operations that run in pool workers.
 *
 * @module
 */
import type { WorkerPool } from "../workers/pool.ts";
import type { InspectedImage } from "./magick_ops.ts";

export type { InspectedImage } from "./magick_ops.ts";

/** Side of the thumbnail made at upload time (also the default served size). */
export const DEFAULT_THUMBNAIL_SIZE = 256;

/** Image work delegated to the worker pool. */
export class ImageService {
  readonly #pool: WorkerPool;
  readonly #maxPixels: number;

  constructor(pool: WorkerPool, options: { maxPixels: number }) {
    this.#pool = pool;
    this.#maxPixels = options.maxPixels;
  }

  /**
   * Decodes and checks an upload (see `inspectImage`). `bytes` is copied before it is
   * transferred, so the caller keeps its buffer for hashing and storing.
   */
  inspect(bytes: Uint8Array): Promise<InspectedImage> {
    const copy = bytes.slice();
    return this.#pool.run<InspectedImage>(
      "image.inspect",
      { bytes: copy, maxPixels: this.#maxPixels, thumbnailSize: DEFAULT_THUMBNAIL_SIZE },
      [copy.buffer],
    );
  }

  /** A JPEG thumbnail whose longer side is `size` pixels. */
  thumbnail(bytes: Uint8Array, size: number): Promise<Uint8Array> {
    const copy = bytes.slice();
    return this.#pool.run<Uint8Array>("image.thumbnail", { bytes: copy, size }, [copy.buffer]);
  }
}
