/**
 * What the pixels alone say about an image: sharpness, exposure, contrast and its dominant
 * colours by name. Pure functions over {@linkcode RgbImage}, so the local reverse-prompt
 * analyzer can be tested without a worker; the worker only decodes.
 *
 * Every measure is taken on a copy whose longer side is at most {@linkcode WORKING_SIZE}, so a
 * 24-megapixel upload and its 400-px thumbnail give close numbers, and the cost is bounded.
 *
 * @module
 */
import { resize, type RgbImage, toGreyPlane } from "./raster.ts";

/** Longer side, in pixels, of the copy every measure is taken on. */
export const WORKING_SIZE = 256;

/** A named colour of an image and the fraction of its pixels that have it. */
export interface NamedColour {
  /** A plain colour word from {@linkcode COLOUR_NAMES}, e.g. `"navy"`. */
  readonly name: string;
  /** Fraction of the image's pixels, 0..1. */
  readonly share: number;
  /** The mean colour of those pixels, `#rrggbb`. */
  readonly hex: string;
}

/** Measures of one image; see {@linkcode pixelStatsOf}. */
export interface PixelStats {
  /** Size of the image measured (the decoder may report the stored size instead). */
  readonly width: number;
  readonly height: number;
  /**
   * Variance of the 4-neighbour Laplacian of the luma (0..255) at the working size. Below
   * about 60 an image looks soft; in-focus photos give hundreds, but smooth subjects (a face
   * crop at full resolution) can give 30-200 when sharp.
   */
  readonly sharpness: number;
  /** Mean luma, 0 (black) .. 1 (white). */
  readonly exposure: number;
  /** Fraction of pixels crushed to black (luma ≤ 5 of 255). */
  readonly clippedDark: number;
  /** Fraction of pixels blown to white (luma ≥ 250 of 255). */
  readonly clippedBright: number;
  /** RMS contrast: standard deviation of the luma, 0..0.5. */
  readonly contrast: number;
  /** Up to five colours, largest share first, each share at least {@linkcode MIN_COLOUR_SHARE}. */
  readonly colours: readonly NamedColour[];
}

/** Colours covering less of the image than this are not reported. */
export const MIN_COLOUR_SHARE = 0.03;
const MAX_COLOURS = 5;
const CLIP_DARK = 5;
const CLIP_BRIGHT = 250;

/**
 * Measures `image`. Deterministic: the same pixels always give the same numbers.
 */
export function pixelStatsOf(image: RgbImage): PixelStats {
  const work = workingCopy(image);
  const luma = toGreyPlane(work, 1);
  let sum = 0;
  let sumSquares = 0;
  let dark = 0;
  let bright = 0;
  for (const value of luma) {
    sum += value;
    sumSquares += value * value;
    if (value <= CLIP_DARK) dark++;
    else if (value >= CLIP_BRIGHT) bright++;
  }
  const n = luma.length;
  const mean = sum / n;
  const variance = Math.max(0, sumSquares / n - mean * mean);
  return {
    width: image.width,
    height: image.height,
    sharpness: laplacianVariance(luma, work.width, work.height),
    exposure: mean / 255,
    clippedDark: dark / n,
    clippedBright: bright / n,
    contrast: Math.sqrt(variance) / 255,
    colours: dominantColours(work),
  };
}

/**
 * The image scaled down so its longer side is at most {@linkcode WORKING_SIZE}. Small images
 * are not enlarged: interpolation would invent blur, and resolution is judged separately.
 */
function workingCopy(image: RgbImage): RgbImage {
  const long = Math.max(image.width, image.height);
  if (long <= WORKING_SIZE) return image;
  const scale = WORKING_SIZE / long;
  return resize(
    image,
    Math.max(1, Math.round(image.width * scale)),
    Math.max(1, Math.round(image.height * scale)),
  );
}

/** Variance of the discrete Laplacian over interior pixels; 0 when there are none. */
export function laplacianVariance(plane: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSquares = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const value = plane[i - 1] + plane[i + 1] + plane[i - width] + plane[i + width] -
        4 * plane[i];
      sum += value;
      sumSquares += value * value;
    }
  }
  const n = (width - 2) * (height - 2);
  const mean = sum / n;
  return Math.max(0, sumSquares / n - mean * mean);
}

/**
 * Named reference colours. A name may have several prototypes so that both a saturated and
 * a muted, photographic version of it are near one of them.
 */
const PALETTE: readonly (readonly [name: string, prototypes: readonly string[]])[] = [
  ["black", ["#000000", "#161616"]],
  ["dark grey", ["#404040", "#3a3d42"]],
  ["grey", ["#7f7f7f", "#8a8c90"]],
  ["light grey", ["#bebebe", "#c8cacd"]],
  ["white", ["#ffffff", "#f2f2f2"]],
  ["red", ["#ff0000", "#d42a2a", "#c0392b"]],
  ["dark red", ["#8b0000", "#6e1a1a"]],
  ["orange", ["#ff8c00", "#e8752a"]],
  ["brown", ["#8b4513", "#6b4226", "#4a3020", "#7a5a40"]],
  ["beige", ["#f5f5dc", "#e6d8bd", "#d8c8a8"]],
  ["skin tone", ["#f1c27d", "#e0ac69", "#c68642", "#ffdbac", "#e0b49c", "#c8907a"]],
  ["yellow", ["#ffff00", "#ffd700", "#e8c830", "#d8a820"]],
  ["olive", ["#808000", "#6b6b30", "#5c5a3a"]],
  ["green", ["#008000", "#2e9a3a", "#5a8a3a", "#80b060", "#00ff00", "#60d040"]],
  ["dark green", ["#0b3d0b", "#203820", "#2f4a2a"]],
  ["teal", ["#008080", "#20a0a0", "#2f6f6f", "#40e0d0"]],
  ["light blue", ["#87ceeb", "#a8c8e8", "#add8e6"]],
  ["blue", ["#0000ff", "#2050d0", "#3a6ab0", "#5080c0"]],
  ["navy", ["#000080", "#1a2a5a", "#253050"]],
  ["lavender", ["#e6e6fa", "#b4a7e0", "#9893d8"]],
  ["purple", ["#800080", "#6a3d9a", "#9b59b6"]],
  ["pink", ["#ffc0cb", "#ff69b4", "#e0a0b0", "#d87090"]],
];

/** Every colour name {@linkcode pixelStatsOf} can report, in palette order. */
export const COLOUR_NAMES: readonly string[] = PALETTE.map(([name]) => name);

interface Prototype {
  readonly index: number;
  readonly lab: readonly [number, number, number];
  readonly chroma: number;
}

let prototypes: Prototype[] | null = null;
/** Palette index + 1 per 5-bit-per-channel colour cube cell, 0 = not computed yet. */
const nameCache = new Uint8Array(32 * 32 * 32);

/** The palette name of an sRGB colour: nearest prototype in CIELAB by ΔE\*94. */
export function colourName(r: number, g: number, b: number): string {
  return COLOUR_NAMES[nameIndex(r, g, b)];
}

function nameIndex(r: number, g: number, b: number): number {
  const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
  const cached = nameCache[key];
  if (cached > 0) return cached - 1;
  // The cell's centre stands for every colour in it: names do not change within 8 levels.
  const index = nearestPrototype(((r >> 3) << 3) + 4, ((g >> 3) << 3) + 4, ((b >> 3) << 3) + 4);
  nameCache[key] = index + 1;
  return index;
}

function nearestPrototype(r: number, g: number, b: number): number {
  prototypes ??= PALETTE.flatMap(([, hexes], index) =>
    hexes.map((hex) => {
      const lab = srgbToLab(...parseHex(hex));
      return { index, lab, chroma: Math.hypot(lab[1], lab[2]) };
    })
  );
  const [l, a, bb] = srgbToLab(r, g, b);
  let best = 0;
  let bestDistance = Infinity;
  for (const proto of prototypes) {
    const distance = deltaE94(proto, l, a, bb);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = proto.index;
    }
  }
  return best;
}

/**
 * CIE94 graphic-arts difference with the prototype as reference: chroma and hue differences
 * count for less around saturated prototypes, so "blue" reaches the muted blues of photos.
 */
function deltaE94(proto: Prototype, l: number, a: number, b: number): number {
  const dL = proto.lab[0] - l;
  const chroma = Math.hypot(a, b);
  const dC = proto.chroma - chroma;
  const da = proto.lab[1] - a;
  const db = proto.lab[2] - b;
  const dH2 = Math.max(0, da * da + db * db - dC * dC);
  const sC = 1 + 0.045 * proto.chroma;
  const sH = 1 + 0.015 * proto.chroma;
  return Math.sqrt(dL * dL + (dC / sC) ** 2 + dH2 / (sH * sH));
}

function parseHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function toHex(r: number, g: number, b: number): string {
  return "#" + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, "0")).join("");
}

function linear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** sRGB (0..255) to CIELAB under D65. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lr = linear(r);
  const lg = linear(g);
  const lb = linear(b);
  const x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047;
  const y = 0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb;
  const z = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / 1.08883;
  const f = (t: number) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Shares of the palette names, largest first, with the mean colour of each. */
function dominantColours(image: RgbImage): NamedColour[] {
  const names = PALETTE.length;
  const counts = new Float64Array(names);
  const sums = new Float64Array(names * 3);
  const { data } = image;
  for (let i = 0; i < data.length; i += 3) {
    const index = nameIndex(data[i], data[i + 1], data[i + 2]);
    counts[index]++;
    sums[index * 3] += data[i];
    sums[index * 3 + 1] += data[i + 1];
    sums[index * 3 + 2] += data[i + 2];
  }
  const total = data.length / 3;
  const colours: { index: number; colour: NamedColour }[] = [];
  for (let index = 0; index < names; index++) {
    const count = counts[index];
    if (count === 0 || count / total < MIN_COLOUR_SHARE) continue;
    colours.push({
      index,
      colour: {
        name: COLOUR_NAMES[index],
        share: count / total,
        hex: toHex(
          sums[index * 3] / count,
          sums[index * 3 + 1] / count,
          sums[index * 3 + 2] / count,
        ),
      },
    });
  }
  // Ties keep palette order, so equal shares never reorder between runs.
  colours.sort((x, y) => y.colour.share - x.colour.share || x.index - y.index);
  return colours.slice(0, MAX_COLOURS).map((entry) => entry.colour);
}
