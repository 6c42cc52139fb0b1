/**
 * The vision engine inside a pool worker: loads the configured ONNX models once and offers
 * their operations as worker handlers.
 *
 * @module
 */
import { withDecoded } from "../imaging/magick_ops.ts";
import type { Box } from "./geometry.ts";
import { type FaceDetector, UltraFaceDetector } from "./face_detector.ts";
import { prefetchedPixelSource } from "./magick_pixels.ts";

/** Which model files a worker loads (paths on disk). */
export interface VisionInit {
  readonly faceDetector?: { readonly path: string; readonly adapter: "ultraface_rfb" };
}

/** A face found in an image, in the upright image's pixels. */
export interface FoundFace {
  readonly box: Box;
  readonly score: number;
}

/** The result of `faces.detect`. */
export interface FaceDetection {
  readonly width: number;
  readonly height: number;
  readonly faces: FoundFace[];
}

/** Loads the models named in `init`; returns the engine names and their handlers. */
export async function loadVision(init: VisionInit): Promise<{
  engines: string[];
  handlers: Record<string, (payload: never) => Promise<{ result: unknown }>>;
}> {
  if (!init.faceDetector) return { engines: [], handlers: {} };
  // ORT is imported only here, inside a worker, and only when a model is configured.
  const { loadOnnxModel } = await import("./ort_runner.ts");
  const detector: FaceDetector = new UltraFaceDetector(
    await loadOnnxModel(await Deno.readFile(init.faceDetector.path)),
  );
  return {
    engines: [`faces:${init.faceDetector.adapter}`],
    handlers: {
      "faces.detect": async (p: { bytes: Uint8Array }) => {
        const source = withDecoded(p.bytes, (image) => {
          image.autoOrient();
          return prefetchedPixelSource(image, [detector.inputSize]);
        });
        const faces = await detector.detect(source);
        const result: FaceDetection = { width: source.width, height: source.height, faces };
        return { result };
      },
    },
  };
}
