/**
 * Object detection behind a small interface: CenterNet (default, converted from TFJS) and
 * Ultralytics YOLO exports implement it.
 *
 * @module
 */
import { type Detection, nonMaxSuppression } from "./geometry.ts";
import type { RgbImage } from "../imaging/raster.ts";

/** A detected object: a scored box with its class. */
export interface ObjectDetection extends Detection {
  readonly classId: number;
  readonly label: string;
}

/** Finds objects; boxes are in the image's pixels. */
export interface ObjectDetector {
  /** The class names, index = class id. */
  readonly labels: readonly string[];
  detect(image: RgbImage): Promise<ObjectDetection[]>;
}

/** Tunables shared by the object detector adapters. */
export interface ObjectDetectorOptions {
  /** Minimum class score of a detection. */
  readonly scoreThreshold?: number;
  /** Overlap above which the weaker box of the same class is dropped. */
  readonly nmsIou?: number;
  /** At most this many detections per image, best first. */
  readonly maxDetections?: number;
}

/** Non-maximum suppression within each class; result sorted by score, best first. */
export function classwiseNms<T extends ObjectDetection>(
  detections: readonly T[],
  maxIou: number,
  limit = Infinity,
): T[] {
  const byClass = Map.groupBy(detections, (d) => d.classId);
  const kept = [...byClass.values()].flatMap((group) => nonMaxSuppression(group, maxIou));
  return kept.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** The label of `classId`, or `class_N` when the model has more classes than names. */
export function labelOf(labels: readonly string[], classId: number): string {
  return labels[classId] ?? `class_${classId}`;
}
