/**
 * The CenterNet object detector (MobileNetV3, COCO-80) converted from the TFJS graph of
 * `@vladmandic/human`: a 128×128 heat-map per class and box edges per cell.
 *
 * @module
 */
import { clampBox } from "./geometry.ts";
import { COCO_LABELS } from "./coco_labels.ts";
import {
  classwiseNms,
  labelOf,
  type ObjectDetection,
  type ObjectDetector,
  type ObjectDetectorOptions,
} from "./object_detector.ts";
import { resize, type RgbImage } from "../imaging/raster.ts";
import type { TensorRunner } from "./tensor_runner.ts";

/** Side of the square input (the photo is stretched to it, values 0..255). */
export const CENTERNET_INPUT_SIZE = 512;
const STRIDE = 4;
const INPUT_NAME = "tower_0/images";
const HEAT_NAME = "tower_0/keypoints";
const WH_NAME = "tower_0/wh";

/** The raw outputs, NHWC: `heat` is `[grid, grid, classes]`, `wh` is `[grid, grid, 4]`. */
export interface CenterNetOutput {
  readonly heat: Float32Array;
  readonly wh: Float32Array;
  readonly grid: number;
  readonly classes: number;
}

/** Options of {@linkcode decodeCenterNet}. */
export interface CenterNetDecodeOptions {
  readonly scoreThreshold: number;
  readonly nmsIou: number;
  readonly maxDetections: number;
  /** The photo's size; boxes are scaled from the 512×512 input to it. */
  readonly width: number;
  readonly height: number;
  readonly labels: readonly string[];
}

/**
 * Decodes detections: every heat-map cell that is the maximum of its 3×3 neighbourhood in
 * its class and reaches the threshold becomes a box `(4x − left, 4y − top, 4x + right,
 * 4y + bottom)`, scaled to the photo, then class-wise NMS.
 */
export function decodeCenterNet(
  output: CenterNetOutput,
  options: CenterNetDecodeOptions,
): ObjectDetection[] {
  const { heat, wh, grid, classes } = output;
  const sx = options.width / (grid * STRIDE);
  const sy = options.height / (grid * STRIDE);
  const found: ObjectDetection[] = [];
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const cell = y * grid + x;
      for (let c = 0; c < classes; c++) {
        const score = heat[cell * classes + c];
        if (score < options.scoreThreshold || !isPeak(heat, grid, classes, x, y, c, score)) {
          continue;
        }
        const [left, top, right, bottom] = wh.subarray(cell * 4, cell * 4 + 4);
        const box = [
          (x * STRIDE - left) * sx,
          (y * STRIDE - top) * sy,
          (x * STRIDE + right) * sx,
          (y * STRIDE + bottom) * sy,
        ] as const;
        found.push({
          box: clampBox(box, options.width, options.height),
          score,
          classId: c,
          label: labelOf(options.labels, c),
        });
      }
    }
  }
  return classwiseNms(found, options.nmsIou, options.maxDetections);
}

function isPeak(
  heat: Float32Array,
  grid: number,
  classes: number,
  x: number,
  y: number,
  c: number,
  score: number,
): boolean {
  for (let ny = Math.max(0, y - 1); ny <= Math.min(grid - 1, y + 1); ny++) {
    for (let nx = Math.max(0, x - 1); nx <= Math.min(grid - 1, x + 1); nx++) {
      if (heat[(ny * grid + nx) * classes + c] > score) return false;
    }
  }
  return true;
}

/** CenterNet behind {@linkcode ObjectDetector}. */
export class CenterNetDetector implements ObjectDetector {
  readonly labels: readonly string[] = COCO_LABELS;
  readonly #runner: TensorRunner;
  readonly #options: Required<ObjectDetectorOptions>;

  constructor(runner: TensorRunner, options: ObjectDetectorOptions = {}) {
    this.#runner = runner;
    this.#options = {
      scoreThreshold: options.scoreThreshold ?? 0.2,
      nmsIou: options.nmsIou ?? 0.4,
      maxDetections: options.maxDetections ?? 50,
    };
  }

  async detect(image: RgbImage): Promise<ObjectDetection[]> {
    const input = resize(image, CENTERNET_INPUT_SIZE, CENTERNET_INPUT_SIZE);
    const out = await this.#runner.run({
      [INPUT_NAME]: {
        data: Float32Array.from(input.data),
        dims: [1, CENTERNET_INPUT_SIZE, CENTERNET_INPUT_SIZE, 3],
      },
    });
    const heat = out[HEAT_NAME];
    return decodeCenterNet(
      { heat: heat.data, wh: out[WH_NAME].data, grid: heat.dims[1], classes: heat.dims[3] },
      { ...this.#options, width: image.width, height: image.height, labels: this.labels },
    );
  }
}
