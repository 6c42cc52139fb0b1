/**
 * Which detections of one upload become extracted assets, with which type and parent
 * (docs/pipeline.md, crop plan). Pure: the worker's analysis in, a plan out.
 *
 * @module
 */
import type { AssetType } from "../db/vocabulary.ts";
import { area, type Box } from "./geometry.ts";

/** A detection as the planner needs it. */
export interface PlannableDetection {
  readonly box: Box;
  readonly score: number;
  /** COCO label for objects; faces have none. */
  readonly label?: string;
}

/** Limits of what is kept (faces < 32 px and objects < 2 % of the image are noise). */
export interface CropPlanOptions {
  readonly minFaceSide: number;
  readonly minObjectFraction: number;
  readonly maxPerImage: number;
}

/** The defaults of {@linkcode CropPlanOptions}. */
export const DEFAULT_CROP_PLAN: CropPlanOptions = Object.freeze({
  minFaceSide: 32,
  minObjectFraction: 0.02,
  maxPerImage: 24,
});

/** One extracted asset to create. */
export interface PlannedCrop {
  /** Position in the plan; `parent` refers to it. */
  readonly key: number;
  readonly role: "face" | "person" | "object";
  readonly assetType: AssetType;
  readonly detectionClass: string;
  readonly confidence: number;
  readonly box: Box;
  /** Which input detection this is (index into faces or objects). */
  readonly source: { readonly kind: "face" | "object"; readonly index: number };
  /** The key of the person crop that contains this face, or null. */
  readonly parent: number | null;
}

const VEHICLES = new Set([
  "car",
  "truck",
  "bus",
  "motorcycle",
  "bicycle",
  "boat",
  "train",
  "airplane",
]);
const PROPS = new Set(["chair", "couch", "bed", "dining table", "bench", "toilet"]);

/** The asset type of a detection class. */
export function assetTypeOfClass(label: string): AssetType {
  if (label === "person" || label === "face") return "CHARACTER";
  if (VEHICLES.has(label)) return "VEHICLE";
  if (PROPS.has(label)) return "PROP";
  return "OBJECT";
}

/**
 * Plans the crops of one image: drops boxes that are too small, keeps at most
 * `maxPerImage` (faces first, then by confidence), and gives each face the person box it
 * belongs to (see {@linkcode parentOf}) as parent. Persons and objects come before faces, so a
 * parent is always created before its children.
 */
export function planCrops(
  image: { readonly width: number; readonly height: number },
  faces: readonly PlannableDetection[],
  objects: readonly PlannableDetection[],
  options: CropPlanOptions = DEFAULT_CROP_PLAN,
): PlannedCrop[] {
  const minObjectArea = options.minObjectFraction * image.width * image.height;
  const keptFaces = faces
    .map((face, index) => ({ face, index }))
    .filter(({ face }) =>
      Math.min(face.box[2] - face.box[0], face.box[3] - face.box[1]) >= options.minFaceSide
    )
    .sort((a, b) => b.face.score - a.face.score)
    .slice(0, options.maxPerImage);
  const keptObjects = objects
    .map((object, index) => ({ object, index }))
    .filter(({ object }) => area(object.box) >= minObjectArea)
    .sort((a, b) => b.object.score - a.object.score)
    .slice(0, Math.max(0, options.maxPerImage - keptFaces.length));

  const plan: PlannedCrop[] = [];
  for (const { object, index } of keptObjects) {
    const label = object.label ?? "object";
    plan.push({
      key: plan.length,
      role: label === "person" ? "person" : "object",
      assetType: assetTypeOfClass(label),
      detectionClass: label,
      confidence: object.score,
      box: object.box,
      source: { kind: "object", index },
      parent: null,
    });
  }
  const persons = plan.filter((crop) => crop.role === "person");
  for (const { face, index } of keptFaces) {
    const parent = parentOf(face.box, persons);
    plan.push({
      key: plan.length,
      role: "face",
      assetType: "CHARACTER",
      detectionClass: "face",
      confidence: face.score,
      box: face.box,
      source: { kind: "face", index },
      parent: parent?.key ?? null,
    });
  }
  return plan;
}

/** How much of `inner` lies inside `outer` (0..1). */
function insideFraction(inner: Box, outer: Box): number {
  const overlap = area([
    Math.max(inner[0], outer[0]),
    Math.max(inner[1], outer[1]),
    Math.min(inner[2], outer[2]),
    Math.min(inner[3], outer[3]),
  ]);
  return area(inner) > 0 ? overlap / area(inner) : 0;
}

/**
 * The person a face belongs to. In group photos person boxes overlap, so "contains the face"
 * is not enough: a head sits in the upper part of its own body's box, while a neighbour's
 * box reaches it with its lower part. Prefer boxes that hold the face in their upper 60 %,
 * then the smallest.
 */
function parentOf(face: Box, persons: readonly PlannedCrop[]): PlannedCrop | undefined {
  const cy = (face[1] + face[3]) / 2;
  const holding = persons.filter((person) => insideFraction(face, person.box) >= 0.8);
  const upper = holding.filter((person) =>
    (cy - person.box[1]) / (person.box[3] - person.box[1]) <= 0.6
  );
  const bySize = (a: PlannedCrop, b: PlannedCrop) => area(a.box) - area(b.box);
  return [...upper].sort(bySize)[0] ?? [...holding].sort(bySize)[0];
}
