/**
 * How the bench turns six demo photos into many distinct ones: per photo, a source and a few
 * small edits (crop, mirror, rescale, colour shift, JPEG quality). Pure, so a recipe
 * is the same for a seed everywhere; `photo_worker.ts` applies it with magick-wasm.
 *
 * The edits are small on purpose: every face of the source must stay in the frame and big
 * enough to be detected, so a generated manifest costs what a real one of that size would.
 * There is no rotation: on a 2 MP photo it costs ~300 ms of WASM, more than all other edits.
 *
 * @module
 */
import { mixSeed, seededRandom, uniform } from "./prng.ts";

/** The demo photos the generator starts from (tests/fixtures/photos/, `deno task fixtures`). */
export const SOURCE_PHOTOS: readonly string[] = [
  "sample1.jpg",
  "sample2.jpg",
  "sample3.jpg",
  "sample4.jpg",
  "sample5.jpg",
  "sample6.jpg",
];

/** The edits that make one generated photo. Fractions are of the source's upright size. */
export interface PhotoRecipe {
  /** File name of the source in {@linkcode SOURCE_PHOTOS}. */
  readonly source: string;
  /** Fraction cut from each side, at most 0.1 so faces stay in the frame. */
  readonly crop: {
    readonly left: number;
    readonly top: number;
    readonly right: number;
    readonly bottom: number;
  };
  /** Left–right mirror. */
  readonly mirror: boolean;
  /** Final size as a fraction of the cropped size (0.7–1). */
  readonly scale: number;
  /** ImageMagick modulate percentages (100 = unchanged). */
  readonly brightness: number;
  readonly saturation: number;
  readonly hue: number;
  /** JPEG quality of the output. */
  readonly quality: number;
}

/**
 * The recipe of photo `index` for `seed`. `attempt` > 0 draws another recipe for the same slot,
 * for the rare case where two recipes encode to the same bytes.
 */
export function photoRecipe(seed: number, index: number, attempt = 0): PhotoRecipe {
  const random = seededRandom(mixSeed(seed, index, attempt));
  const side = () => uniform(random, 0.01, 0.1);
  return {
    // Round robin, so every size uses the six sources evenly.
    source: SOURCE_PHOTOS[index % SOURCE_PHOTOS.length],
    crop: { left: side(), top: side(), right: side(), bottom: side() },
    mirror: random() < 0.5,
    scale: round(uniform(random, 0.7, 1), 3),
    brightness: round(uniform(random, 95, 105), 1),
    saturation: round(uniform(random, 90, 110), 1),
    hue: round(uniform(random, 98, 102), 1),
    quality: 84 + Math.floor(random() * 9),
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
