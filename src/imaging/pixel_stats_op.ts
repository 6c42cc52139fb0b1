/**
 * The worker side of the local analyzer: decode small, measure with the pure
 * {@linkcode pixelStatsOf}. Runs inside pool workers only (magick-wasm).
 *
 * @module
 */
import { shrinkOnLoad, withDecoded } from "./magick_ops.ts";
import { type PixelStats, pixelStatsOf, WORKING_SIZE } from "./pixel_stats.ts";
import { rgbImage } from "./raster.ts";

/** EXIF orientations (LeftTop … LeftBottom) that swap width and height when applied. */
const TRANSPOSING = new Set([5, 6, 7, 8]);

/**
 * Decodes `bytes` (JPEG, PNG or WebP), upright, and measures it. `width` and `height` are
 * the full upright size, although the pixels are measured on a copy of at most
 * {@linkcode WORKING_SIZE} px.
 *
 * @throws {AppError} 422 when the bytes are not a readable image.
 */
export function imageStatsOf(bytes: Uint8Array): PixelStats {
  // A large JPEG is scaled down while decoding; a small image is decoded at its own size, as
  // an enlarged copy would measure blur the image does not have.
  return withDecoded(bytes, (image) => {
    // The base size is the one in the file, before the decoder's scaling.
    const transposed = TRANSPOSING.has(Number(image.orientation));
    const width = transposed ? image.baseHeight : image.baseWidth;
    const height = transposed ? image.baseWidth : image.baseHeight;
    image.autoOrient();
    const w = image.width;
    const h = image.height;
    const data = image.getPixels((pixels) => pixels.toByteArray(0, 0, w, h, "RGB"));
    if (!data) throw new Error("ImageMagick returned no pixels for a decoded image.");
    const stats = pixelStatsOf(rgbImage(w, h, data.slice()));
    return { ...stats, width: width || w, height: height || h };
  }, shrinkOnLoad(bytes, WORKING_SIZE));
}
