/**
 * Face alignment: a least-squares similarity transform of five landmarks onto the standard
 * ArcFace 112×112 template, then a warp. Pure geometry, no model.
 *
 * @module
 */
import { type Affine, type RgbImage, warpAffine } from "../imaging/raster.ts";

/** A point `[x, y]` in pixels. */
export type Point = readonly [number, number];

/**
 * Where the five points (image-left eye, image-right eye, nose tip, image-left and
 * image-right mouth corner) sit in an aligned 112×112 ArcFace input.
 */
export const ARCFACE_TEMPLATE: readonly Point[] = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
]);

/** Side of the aligned face the embedder takes. */
export const ALIGNED_SIZE = 112;

/**
 * The rotation + uniform scale + translation that maps `from` onto `to` with the least
 * squared error (Umeyama's method in 2-D; reflections excluded).
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): Affine {
  if (from.length !== to.length || from.length < 2) {
    throw new Error("A similarity needs two equally long lists of at least two points.");
  }
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i][0] / n;
    fy += from[i][1] / n;
    tx += to[i][0] / n;
    ty += to[i][1] / n;
  }
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const ax = from[i][0] - fx, ay = from[i][1] - fy;
    const bx = to[i][0] - tx, by = to[i][1] - ty;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  if (norm === 0) throw new Error("The landmarks coincide; no alignment is possible.");
  const a = dot / norm; // scale·cos θ
  const b = cross / norm; // scale·sin θ
  return [a, -b, tx - (a * fx - b * fy), b, a, ty - (b * fx + a * fy)];
}

/** Applies `m` to a point. */
export function applyAffine(m: Affine, [x, y]: Point): Point {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** The inverse of an invertible affine map. */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (det === 0) throw new Error("The transform is singular and cannot be inverted.");
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/** The face whose five landmarks are `points`, warped upright into a 112×112 image. */
export function alignFace(image: RgbImage, points: readonly Point[]): RgbImage {
  const toTemplate = estimateSimilarity(points, ARCFACE_TEMPLATE);
  return warpAffine(image, invertAffine(toTemplate), ALIGNED_SIZE, ALIGNED_SIZE);
}
