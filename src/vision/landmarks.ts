/**
 * Facial landmarks for alignment: five points per face from a landmark model.
 *
 * @module
 */
import type { Point } from "./alignment.ts";
import type { Box } from "./geometry.ts";
import { resample, type RgbImage, toGreyPlane } from "../imaging/raster.ts";
import type { TensorRunner } from "./tensor_runner.ts";

/** Locates the five alignment points of the face in `box`, in image pixels. */
export interface FaceLandmarker {
  locate(image: RgbImage, box: Box): Promise<Point[]>;
}

const SIZE = 64;

/**
 * The 68-point model (`fr_landmark.onnx`): the detector's box stretched to 64×64 grey
 * (values / 256), 68 points in 0..1 of the box out.
 */
export class Landmark68 implements FaceLandmarker {
  readonly #runner: TensorRunner;

  constructor(runner: TensorRunner) {
    this.#runner = runner;
  }

  async locate(image: RgbImage, box: Box): Promise<Point[]> {
    const crop = resample(image, box, SIZE, SIZE);
    const out = await this.#runner.run({
      input: { data: toGreyPlane(crop, 256), dims: [1, 1, SIZE, SIZE] },
    });
    const width = box[2] - box[0];
    const height = box[3] - box[1];
    const relative = out[this.#runner.outputNames[0]].data;
    const points: Point[] = [];
    for (let i = 0; i < 68; i++) {
      points.push([box[0] + relative[i * 2] * width, box[1] + relative[i * 2 + 1] * height]);
    }
    return fivePointsOf68(points);
  }
}

/**
 * Reduces 68 iBUG 300-W points to the five ArcFace points: eye centres (mean of 4 lid
 * points each), nose tip, and mouth corners (mean of outer and inner corner).
 */
export function fivePointsOf68(points: readonly Point[]): Point[] {
  if (points.length !== 68) throw new Error(`Expected 68 landmarks, got ${points.length}.`);
  const mean = (...indices: number[]): Point => [
    indices.reduce((sum, i) => sum + points[i][0], 0) / indices.length,
    indices.reduce((sum, i) => sum + points[i][1], 0) / indices.length,
  ];
  return [
    mean(37, 38, 40, 41),
    mean(43, 44, 46, 47),
    points[30],
    mean(48, 60),
    mean(54, 64),
  ];
}
