/**
 * Chooses which models the pool workers load, from the model catalog and the files present.
 *
 * @module
 */
import type { VisionInit } from "./engine.ts";
import { loadModelCatalog, modelPath } from "./model_catalog.ts";
import { fileExists } from "../storage/file_exists.ts";

/** The default face detector (chosen by measurement; see `face_detector.ts`). */
export const DEFAULT_FACE_DETECTOR = "fr_detect";

/**
 * The vision settings for the workers: every default model whose file is in `models/`.
 * A missing file leaves that engine out (and `/readyz` says so) instead of failing start.
 */
export async function visionInitFromCatalog(): Promise<VisionInit> {
  const catalog = await loadModelCatalog();
  const detector = catalog.find((entry) => entry.name === DEFAULT_FACE_DETECTOR);
  if (!detector || detector.adapter !== "ultraface_rfb") return {};
  const path = modelPath(detector);
  return await fileExists(path) ? { faceDetector: { path, adapter: "ultraface_rfb" } } : {};
}
