/**
 * Ultralytics YOLOv8 / YOLO11 ONNX exports (`yolo export format=onnx`): a letterboxed
 * square input, one output `[1, 4 + C, N]` of centre-size boxes and per-class scores.
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
import { type Letterbox, letterbox, type RgbImage, toPlanar } from "../imaging/raster.ts";
import type { FloatTensor, TensorRunner } from "./tensor_runner.ts";

/** Grey of Ultralytics' letterbox padding. */
const PAD_VALUE = 114;

/** Options of {@linkcode YoloDetector}. */
export interface YoloOptions extends ObjectDetectorOptions {
  /** Side of the square input the model was exported with (default 640). */
  readonly inputSize?: number;
  /** Class names (default COCO-80). */
  readonly labels?: readonly string[];
}

/** Options of {@linkcode decodeYolo}. */
export interface YoloDecodeOptions {
  readonly scoreThreshold: number;
  readonly nmsIou: number;
  readonly maxDetections: number;
  readonly fit: Letterbox;
  /** The photo's size, to clamp boxes. */
  readonly width: number;
  readonly height: number;
  readonly labels: readonly string[];
}

/** Decodes a `[1, 4 + C, N]` output into boxes in the photo's pixels. */
export function decodeYolo(output: FloatTensor, options: YoloDecodeOptions): ObjectDetection[] {
  const [batch, rows, n] = output.dims;
  if (output.dims.length !== 3 || batch !== 1 || rows < 5 || rows > n) {
    throw new Error(
      `Expected a YOLO output of shape [1, 4 + classes, anchors], got [${output.dims}]. ` +
        "Export the model with `yolo export format=onnx` (without nms=True).",
    );
  }
  const classes = rows - 4;
  const data = output.data;
  const { scale, padX, padY } = options.fit;
  const found: ObjectDetection[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    let classId = -1;
    for (let c = 0; c < classes; c++) {
      const score = data[(4 + c) * n + i];
      if (score > best) {
        best = score;
        classId = c;
      }
    }
    if (classId < 0 || best < options.scoreThreshold) continue;
    const cx = data[i], cy = data[n + i], w = data[2 * n + i], h = data[3 * n + i];
    const box = [
      (cx - w / 2 - padX) / scale,
      (cy - h / 2 - padY) / scale,
      (cx + w / 2 - padX) / scale,
      (cy + h / 2 - padY) / scale,
    ] as const;
    found.push({
      box: clampBox(box, options.width, options.height),
      score: best,
      classId,
      label: labelOf(options.labels, classId),
    });
  }
  return classwiseNms(found, options.nmsIou, options.maxDetections);
}

/** A YOLO export behind {@linkcode ObjectDetector}. */
export class YoloDetector implements ObjectDetector {
  readonly labels: readonly string[];
  readonly #runner: TensorRunner;
  readonly #inputSize: number;
  readonly #options: Required<ObjectDetectorOptions>;

  constructor(runner: TensorRunner, options: YoloOptions = {}) {
    this.#runner = runner;
    this.labels = options.labels ?? COCO_LABELS;
    this.#inputSize = options.inputSize ?? 640;
    this.#options = {
      scoreThreshold: options.scoreThreshold ?? 0.25,
      nmsIou: options.nmsIou ?? 0.45,
      maxDetections: options.maxDetections ?? 50,
    };
  }

  async detect(image: RgbImage): Promise<ObjectDetection[]> {
    const size = this.#inputSize;
    const { image: square, fit } = letterbox(image, size, PAD_VALUE);
    const out = await this.#runner.run({
      [this.#runner.inputNames[0]]: { data: toPlanar(square, 0, 255), dims: [1, 3, size, size] },
    });
    return decodeYolo(out[this.#runner.outputNames[0]], {
      ...this.#options,
      fit,
      width: image.width,
      height: image.height,
      labels: this.labels,
    });
  }
}
