/**
 * A {@linkcode PixelSource} over a decoded magick-wasm image (worker side).
 *
 * @module
 */
import { type IMagickImage, MagickGeometry } from "@imagemagick/magick-wasm";
import type { PixelSource } from "./face_detector.ts";

/** Pixels of `image` (already upright), resampled on demand to a model's input size. */
export function magickPixelSource(image: IMagickImage): PixelSource {
  return {
    width: image.width,
    height: image.height,
    rgb(width, height) {
      return image.clone((copy) => {
        const size = new MagickGeometry(width, height);
        size.ignoreAspectRatio = true;
        copy.resize(size);
        const bytes = copy.getPixels((pixels) => pixels.toByteArray(0, 0, width, height, "RGB"));
        if (!bytes) throw new Error("ImageMagick returned no pixels for a resized image.");
        return bytes.slice();
      });
    },
  };
}

/**
 * Resamples `image` now to each of `sizes` and returns a source that serves those copies,
 * so async inference can run after the decoded image has been freed.
 */
export function prefetchedPixelSource(
  image: IMagickImage,
  sizes: readonly { width: number; height: number }[],
): PixelSource {
  const live = magickPixelSource(image);
  const cache = new Map(sizes.map((s) => [`${s.width}x${s.height}`, live.rgb(s.width, s.height)]));
  return {
    width: image.width,
    height: image.height,
    rgb(width, height) {
      const bytes = cache.get(`${width}x${height}`);
      if (!bytes) throw new Error(`No ${width}×${height} pixels were prepared for this image.`);
      return bytes;
    },
  };
}
