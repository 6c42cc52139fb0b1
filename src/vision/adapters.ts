/**
 * From a model file and its adapter kind to a ready component: the one place that knows
 * which class serves which adapter. Runs inside pool workers only (it loads ORT).
 *
 * @module
 */
import { CenterNetDetector } from "./centernet.ts";
import { ArcFaceEmbedder, type FaceEmbedder } from "./face_embedder.ts";
import { type FaceDetector, UltraFaceDetector } from "./face_detector.ts";
import { BlazeFaceDetector } from "./blazeface.ts";
import { type FaceLandmarker, Landmark68 } from "./landmarks.ts";
import { ADAPTER_ROLE, type AdapterKind } from "./model_catalog.ts";
import { VISION_PARTS, type VisionModels, type VisionPart } from "./vision_models.ts";
import type { ObjectDetector } from "./object_detector.ts";
import { loadOnnxModel } from "./ort_runner.ts";
import type { TensorRunner } from "./tensor_runner.ts";
import { YoloDetector } from "./yolo.ts";

/** The loaded components. */
export interface VisionComponents {
  readonly faceDetector?: FaceDetector;
  readonly faceLandmarks?: FaceLandmarker;
  readonly faceEmbedder?: FaceEmbedder;
  readonly objectDetector?: ObjectDetector;
  /** `role:model` of everything loaded, for `/readyz`. */
  readonly engines: readonly string[];
  /** The raw model of each engine, for benchmarks. */
  readonly runners: Readonly<Record<string, TensorRunner>>;
}

const BUILD: Readonly<Record<AdapterKind, (runner: TensorRunner) => unknown>> = Object.freeze({
  ultraface_rfb: (runner) => new UltraFaceDetector(runner),
  blazeface: (runner) => new BlazeFaceDetector(runner),
  landmark68: (runner) => new Landmark68(runner),
  arcface: (runner) => new ArcFaceEmbedder(runner),
  centernet: (runner) => new CenterNetDetector(runner),
  yolo: (runner) => new YoloDetector(runner),
});

/** Loads every configured model once (one ONNX session each). */
export async function loadVisionComponents(models: VisionModels): Promise<VisionComponents> {
  const loaded: Record<string, unknown> = {};
  const engines: string[] = [];
  const runners: Record<string, TensorRunner> = {};
  for (const part of Object.keys(VISION_PARTS) as VisionPart[]) {
    const ref = models[part];
    if (!ref) continue;
    if (ADAPTER_ROLE[ref.adapter] !== VISION_PARTS[part].role) {
      throw new Error(`Model ${ref.name} (adapter ${ref.adapter}) cannot serve as ${part}.`);
    }
    let runner: TensorRunner;
    try {
      runner = await loadOnnxModel(await Deno.readFile(ref.path));
    } catch (error) {
      throw new Error(
        `Could not load model ${ref.name} from ${ref.path}: ${(error as Error).message}. ` +
          "Run `deno task models` to fetch and verify the model files.",
      );
    }
    loaded[part] = BUILD[ref.adapter](runner);
    const engine = `${VISION_PARTS[part].engine}:${ref.name}`;
    engines.push(engine);
    runners[engine] = runner;
  }
  return { ...loaded, engines, runners } as VisionComponents;
}
