/**
 * Face detection behind a small interface, so a model can be swapped by configuration.
 *
 * The default adapter is the Ultra-Light RFB-320 detector (`fr_detect.onnx`): measured on
 * the six face-api demo photos it found all 22 faces with no false box at ~14 ms per photo
 * on one thread (NOTES-models.md; BlazeFace back-256 also finds 22 but takes 19–32 ms).
 *
 * @module
 */
import { type Detection, nonMaxSuppression } from "./geometry.ts";

/** Where a detector gets pixels: the oriented image, resampled to what the model needs. */
export interface PixelSource {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB bytes of the whole image stretched to `width`×`height`. */
  rgb(width: number, height: number): Uint8Array;
}

/** Runs one ONNX model: named float inputs in, named float outputs out. */
export interface TensorRunner {
  run(
    inputs: Record<string, { data: Float32Array; dims: readonly number[] }>,
  ): Promise<Record<string, Float32Array>>;
}

/** Finds faces; boxes are in the source image's pixels. */
export interface FaceDetector {
  /** The size the model's input is resampled to (callers may prepare it in advance). */
  readonly inputSize: { readonly width: number; readonly height: number };
  detect(source: PixelSource): Promise<Detection[]>;
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
  readonly inputSize = Object.freeze({ width: INPUT_WIDTH, height: INPUT_HEIGHT });
  readonly #runner: TensorRunner;
  readonly #scoreThreshold: number;
  readonly #nmsIou: number;

  constructor(runner: TensorRunner, options: UltraFaceOptions = {}) {
    this.#runner = runner;
    this.#scoreThreshold = options.scoreThreshold ?? 0.65;
    this.#nmsIou = options.nmsIou ?? 0.4;
  }

  async detect(source: PixelSource): Promise<Detection[]> {
    const rgb = source.rgb(INPUT_WIDTH, INPUT_HEIGHT);
    const plane = INPUT_WIDTH * INPUT_HEIGHT;
    const input = new Float32Array(3 * plane);
    // The model wants planar RGB (NCHW) scaled to about [-1, 1].
    for (let i = 0; i < plane; i++) {
      input[i] = (rgb[i * 3] - 127) / 128;
      input[plane + i] = (rgb[i * 3 + 1] - 127) / 128;
      input[2 * plane + i] = (rgb[i * 3 + 2] - 127) / 128;
    }
    const out = await this.#runner.run({
      input: { data: input, dims: [1, 3, INPUT_HEIGHT, INPUT_WIDTH] },
    });
    const { scores, boxes } = out;
    const found: Detection[] = [];
    for (let i = 0; i < scores.length / 2; i++) {
      const score = scores[i * 2 + 1];
      if (score < this.#scoreThreshold) continue;
      found.push({
        score,
        box: [
          clamp(boxes[i * 4] * source.width, source.width),
          clamp(boxes[i * 4 + 1] * source.height, source.height),
          clamp(boxes[i * 4 + 2] * source.width, source.width),
          clamp(boxes[i * 4 + 3] * source.height, source.height),
        ],
      });
    }
    return nonMaxSuppression(found, this.#nmsIou);
  }
}

function clamp(value: number, max: number): number {
  return Math.min(max, Math.max(0, value));
}
