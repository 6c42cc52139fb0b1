/**
 * Chooses which models the pool workers load, from the model catalog, the configuration and
 * the files present.
 *
 * @module
 */
import { ADAPTER_ROLE, loadModelCatalog, type ModelEntry, modelPath } from "./model_catalog.ts";
import {
  type ModelRef,
  VISION_PARTS,
  type VisionModels,
  type VisionPart,
} from "./vision_models.ts";
import { fileExists } from "../storage/file_exists.ts";

/** Choices from the configuration, by part: a catalog name, a `.onnx` path (YOLO), or `none`. */
export type VisionChoice = { readonly [part in VisionPart]?: string };

/**
 * The vision settings for the workers. A default model whose file is missing is left out
 * (and `/readyz` says so) instead of failing start; a model chosen by configuration that
 * cannot be found is an error naming the variable.
 */
export async function visionInitFromCatalog(choice: VisionChoice = {}): Promise<VisionModels> {
  const catalog = await loadModelCatalog();
  const models: Record<string, ModelRef> = {};
  for (const part of Object.keys(VISION_PARTS) as VisionPart[]) {
    const { role, defaultModel, variable } = VISION_PARTS[part];
    const chosen = variable ? choice[part] : undefined;
    if (chosen === "none") continue;
    if (chosen?.endsWith(".onnx") && part === "objectDetector") {
      if (!await fileExists(chosen)) {
        throw new Error(`${variable}=${chosen}: the file does not exist; give a readable path.`);
      }
      models[part] = { name: "yolo", path: chosen, adapter: "yolo" };
      continue;
    }
    const name = chosen ?? defaultModel;
    const entry: ModelEntry | undefined = catalog.find((model) => model.name === name);
    if (!entry || ADAPTER_ROLE[entry.adapter] !== role) {
      if (!chosen) continue;
      const options = catalog.filter((model) => model.role === role).map((model) => model.name);
      throw new Error(
        `${variable}=${chosen} is not a ${role} in models/models.json: use one of ` +
          `${options.join(", ")}${part === "objectDetector" ? ", a YOLO .onnx path" : ""} or none.`,
      );
    }
    const path = modelPath(entry);
    if (await fileExists(path)) models[part] = { name, path, adapter: entry.adapter };
    else if (chosen) {
      throw new Error(`${variable}=${chosen}: ${path} is missing; run \`deno task models\`.`);
    }
  }
  return models;
}
