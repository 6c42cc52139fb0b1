/**
 * The worker side of the local analyzer: decode small, measure with the pure
 * {@linkcode pixelStatsOf}. Runs inside pool workers only (magick-wasm).
 *
 * @module
 */
import { MagickFormat, MagickReadSettings } from "@imagemagick/magick-wasm";
import { withDecoded } from "./magick_ops.ts";
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
  const settings = new MagickReadSettings();
  // The JPEG decoder then scales by 1/2, 1/4 or 1/8 while decoding (never below the size),
  // which makes a 1920-px photo several times cheaper; other formats ignore the hint.
  settings.setDefine(MagickFormat.Jpeg, "size", `${WORKING_SIZE}x${WORKING_SIZE}`);
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
  }, settings);
}
