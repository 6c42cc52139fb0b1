/**
 * Chooses which models the pool workers load, from the model catalog, the configuration and
 * the files present.
 *
 * @module
 */
import type { ModelRef, VisionModels } from "./adapters.ts";
import { ADAPTER_ROLE, loadModelCatalog, type ModelEntry, modelPath } from "./model_catalog.ts";
import type { ModelRole } from "./model_catalog.ts";
import { fileExists } from "../storage/file_exists.ts";

/** The catalog entry used for each role unless configured otherwise (chosen by measurement). */
export const DEFAULT_VISION_MODELS: Readonly<Record<keyof VisionModels, string>> = Object
  .freeze({
    faceDetector: "fr_detect",
    faceLandmarks: "fr_landmark",
    faceEmbedder: "fr_feature",
    objectDetector: "centernet",
  });

const ROLE: Readonly<Record<keyof VisionModels, ModelRole>> = Object.freeze({
  faceDetector: "face_detector",
  faceLandmarks: "face_landmarks",
  faceEmbedder: "face_embedder",
  objectDetector: "object_detector",
});

/** Choices from the configuration: a catalog name, a `.onnx` path (YOLO), or `none`. */
export interface VisionChoice {
  readonly faceDetector?: string;
  readonly objectDetector?: string;
}

/**
 * The vision settings for the workers. A default model whose file is missing is left out
 * (and `/readyz` says so) instead of failing start; a model chosen by configuration that
 * cannot be found is an error naming the variable.
 */
export async function visionInitFromCatalog(choice: VisionChoice = {}): Promise<VisionModels> {
  const catalog = await loadModelCatalog();
  const models: Record<string, ModelRef> = {};
  for (const role of Object.keys(DEFAULT_VISION_MODELS) as (keyof VisionModels)[]) {
    const chosen = role === "faceDetector" || role === "objectDetector" ? choice[role] : undefined;
    const variable = role === "faceDetector" ? "FACE_DETECTOR" : "OBJECT_DETECTOR";
    if (chosen === "none") continue;
    if (chosen?.endsWith(".onnx") && role === "objectDetector") {
      if (!await fileExists(chosen)) {
        throw new Error(`${variable}=${chosen}: the file does not exist; give a readable path.`);
      }
      models[role] = { name: "yolo", path: chosen, adapter: "yolo" };
      continue;
    }
    const name = chosen ?? DEFAULT_VISION_MODELS[role];
    const entry: ModelEntry | undefined = catalog.find((model) => model.name === name);
    if (!entry || ADAPTER_ROLE[entry.adapter] !== ROLE[role]) {
      if (!chosen) continue;
      const options = catalog.filter((model) => model.role === ROLE[role]).map((m) => m.name);
      throw new Error(
        `${variable}=${chosen} is not a ${ROLE[role]} in models/models.json: use one of ` +
          `${options.join(", ")}${role === "objectDetector" ? ", a YOLO .onnx path" : ""} or none.`,
      );
    }
    const path = modelPath(entry);
    if (await fileExists(path)) models[role] = { name, path, adapter: entry.adapter };
    else if (chosen) {
      throw new Error(`${variable}=${chosen}: ${path} is missing; run \`deno task models\`.`);
    }
  }
  return models;
}
