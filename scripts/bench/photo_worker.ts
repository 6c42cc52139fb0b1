/**
 * The bench's photo worker: applies a {@linkcode PhotoRecipe} to a demo photo with magick-wasm
 * and answers the JPEG. Decoding and encoding a 2 MP photo is ~100 ms of synchronous WASM, so
 * it runs here rather than on the thread that also serves the benchmarked service.
 *
 * @module
 */
import {
  FilterType,
  MagickFormat,
  MagickGeometry,
  MagickImage,
  Orientation,
  Percentage,
} from "@imagemagick/magick-wasm";
import { initMagick } from "../../src/imaging/magick_ops.ts";
import { serveWorker } from "../../src/workers/worker_host.ts";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { photoRecipe } from "./photo_recipe.ts";

/** The operation of the photo worker. */
export interface PhotoOps {
  "photo.make": {
    payload: { readonly seed: number; readonly index: number; readonly attempt: number };
    result: { readonly bytes: Uint8Array; readonly width: number; readonly height: number };
  };
}

serveWorker<PhotoOps, null>(async () => {
  await initMagick();
  const sources = new Map<string, Uint8Array>();
  return {
    engines: ["magick"],
    handlers: {
      "photo.make": async ({ seed, index, attempt }) => {
        const recipe = photoRecipe(seed, index, attempt);
        if (!sources.has(recipe.source)) {
          sources.set(recipe.source, await fixturePhoto(recipe.source));
        }
        const image = MagickImage.create();
        try {
          image.read(sources.get(recipe.source)!);
          image.autoOrient();
          image.orientation = Orientation.TopLeft;
          const { width, height } = image;
          const left = Math.round(width * recipe.crop.left);
          const top = Math.round(height * recipe.crop.top);
          const keptWidth = width - left - Math.round(width * recipe.crop.right);
          const keptHeight = height - top - Math.round(height * recipe.crop.bottom);
          image.crop(new MagickGeometry(left, top, keptWidth, keptHeight));
          image.resetPage();
          if (recipe.mirror) image.flop();
          // Triangle (bilinear) is a third of the default Lanczos' cost, and fine for photos.
          image.resize(
            Math.round(keptWidth * recipe.scale),
            Math.round(keptHeight * recipe.scale),
            FilterType.Triangle,
          );
          image.modulate(
            new Percentage(recipe.brightness),
            new Percentage(recipe.saturation),
            new Percentage(recipe.hue),
          );
          image.strip();
          image.quality = recipe.quality;
          const bytes = image.write(MagickFormat.Jpeg, (data) => data.slice());
          return {
            result: { bytes, width: image.width, height: image.height },
            transfer: [bytes.buffer],
          };
        } finally {
          image.dispose();
        }
      },
    },
  };
});
