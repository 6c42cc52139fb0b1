/**
 * Which model serves which part of the analysis: the one table shared by the request thread
 * (choosing models) and the workers (loading them). Free of ORT on purpose, so the request
 * thread can import it.
 *
 * @module
 */
import type { AdapterKind, ModelRole } from "./model_catalog.ts";

/** A model for one part of the analysis: its file and how to drive it. */
export interface ModelRef {
  readonly name: string;
  readonly path: string;
  readonly adapter: AdapterKind;
}

/** One part of the analysis. */
interface PartSpec {
  /** The catalog role whose models can fill it. */
  readonly role: ModelRole;
  /** Prefix of its engine name in `/readyz` (`faces:fr_detect`). */
  readonly engine: string;
  /** The catalog entry used unless configured otherwise (chosen by measurement). */
  readonly defaultModel: string;
  /** The environment variable that chooses another model, if any. */
  readonly variable: string | null;
}

/** Every part of the analysis, in the order a worker loads them. */
export const VISION_PARTS = Object.freeze(
  {
    faceDetector: {
      role: "face_detector",
      engine: "faces",
      defaultModel: "fr_detect",
      variable: "FACE_DETECTOR",
    },
    faceLandmarks: {
      role: "face_landmarks",
      engine: "landmarks",
      defaultModel: "fr_landmark",
      variable: null,
    },
    faceEmbedder: {
      role: "face_embedder",
      engine: "embeddings",
      defaultModel: "fr_feature",
      variable: null,
    },
    objectDetector: {
      role: "object_detector",
      engine: "objects",
      defaultModel: "centernet",
      variable: "OBJECT_DETECTOR",
    },
  } as const satisfies Record<string, PartSpec>,
);

/** A part of the analysis. */
export type VisionPart = keyof typeof VISION_PARTS;

/** The models a worker loads, by part; a part left out is simply not offered. */
export type VisionModels = { readonly [part in VisionPart]?: ModelRef };
