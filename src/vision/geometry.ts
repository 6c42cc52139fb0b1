/**
 * Boxes, overlap and non-maximum suppression: pure functions shared by every detector.
 *
 * @module
 */

/** An axis-aligned box `[x1, y1, x2, y2]` in pixels of the oriented image. */
export type Box = readonly [number, number, number, number];

/** A scored box. */
export interface Detection {
  readonly box: Box;
  readonly score: number;
}

/** Area of a box (0 for an inverted one). */
export function area(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

/** Intersection over union of two boxes, in [0, 1]. */
export function iou(a: Box, b: Box): number {
  const inter = area([
    Math.max(a[0], b[0]),
    Math.max(a[1], b[1]),
    Math.min(a[2], b[2]),
    Math.min(a[3], b[3]),
  ]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Keeps the best-scoring detections, dropping any that overlaps a kept one by more than `maxIou`. */
export function nonMaxSuppression<T extends Detection>(
  detections: readonly T[],
  maxIou: number,
): T[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.every((k) => iou(k.box, candidate.box) <= maxIou)) kept.push(candidate);
  }
  return kept;
}

/** Grows a box by `fraction` of its size on every side, clamped to the image. */
export function padBox(box: Box, fraction: number, width: number, height: number): Box {
  const padX = (box[2] - box[0]) * fraction;
  const padY = (box[3] - box[1]) * fraction;
  return [
    Math.max(0, box[0] - padX),
    Math.max(0, box[1] - padY),
    Math.min(width, box[2] + padX),
    Math.min(height, box[3] + padY),
  ];
}

/** The box limited to a `width`×`height` image. */
export function clampBox(box: Box, width: number, height: number): Box {
  return [
    Math.min(width, Math.max(0, box[0])),
    Math.min(height, Math.max(0, box[1])),
    Math.min(width, Math.max(0, box[2])),
    Math.min(height, Math.max(0, box[3])),
  ];
}

/** The box with its edges rounded outwards to whole pixels (for cropping). */
export function pixelBox(box: Box): Box {
  return [Math.floor(box[0]), Math.floor(box[1]), Math.ceil(box[2]), Math.ceil(box[3])];
}
