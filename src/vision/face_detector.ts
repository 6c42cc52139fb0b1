/**
 * Face detection behind a small interface, so a model can be swapped by configuration.
 *
 * The default adapter is the Ultra-Light RFB-320 detector (`fr_detect.onnx`): measured on
 * the six face-api demo photos it found all 22 faces with no false box at ~14 ms per photo
 * on one thread (NOTES-models.md; BlazeFace back-256 also finds 22 but takes 19–32 ms and
 * needs anchor decoding in JavaScript).
 *
 * @module
 */
import { clampBox, type Detection, nonMaxSuppression } from "./geometry.ts";
import { resize, type RgbImage, toPlanar } from "../imaging/raster.ts";
import type { TensorRunner } from "./tensor_runner.ts";

/** Finds faces; boxes are in the image's pixels. */
export interface FaceDetector {
  detect(image: RgbImage): Promise<Detection[]>;
}

/** Tunables of the RFB-320 adapter. */
export interface UltraFaceOptions {
  /** Minimum face score (0.65 found 22/22 with no false box). */
  readonly scoreThreshold?: number;
  /** Overlap above which the weaker box is dropped. */
  readonly nmsIou?: number;
}

const INPUT_WIDTH = 320;
const INPUT_HEIGHT = 240;

/** The RFB-320 ("UltraFace") detector: its box decoding is inside the graph. */
export class UltraFaceDetector implements FaceDetector {
  readonly #runner: TensorRunner;
  readonly #scoreThreshold: number;
  readonly #nmsIou: number;

  constructor(runner: TensorRunner, options: UltraFaceOptions = {}) {
    this.#runner = runner;
    this.#scoreThreshold = options.scoreThreshold ?? 0.65;
    this.#nmsIou = options.nmsIou ?? 0.4;
  }

  async detect(image: RgbImage): Promise<Detection[]> {
    // The model wants the whole photo stretched to 320×240, planar RGB in about [-1, 1].
    const input = toPlanar(resize(image, INPUT_WIDTH, INPUT_HEIGHT), 127, 128);
    const out = await this.#runner.run({
      input: { data: input, dims: [1, 3, INPUT_HEIGHT, INPUT_WIDTH] },
    });
    const scores = out.scores.data;
    const boxes = out.boxes.data;
    const found: Detection[] = [];
    for (let i = 0; i < scores.length / 2; i++) {
      const score = scores[i * 2 + 1];
      if (score < this.#scoreThreshold) continue;
      const box = [
        boxes[i * 4] * image.width,
        boxes[i * 4 + 1] * image.height,
        boxes[i * 4 + 2] * image.width,
        boxes[i * 4 + 3] * image.height,
      ] as const;
      found.push({ score, box: clampBox(box, image.width, image.height) });
    }
    return nonMaxSuppression(found, this.#nmsIou);
  }
}
