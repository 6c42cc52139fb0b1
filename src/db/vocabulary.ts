/**
 * The fixed vocabularies of the data model, as `as const` tuples so zod enums, TypeScript
 * types and the typed columns of `tables.ts` agree on one list each. Every layer above the
 * database reads them from here.
 *
 * @module
 */

/** Kinds of asset a manifest can hold. */
export const ASSET_TYPES = [
  "CHARACTER",
  "OBJECT",
  "ENVIRONMENT",
  "PROP",
  "STYLE",
  "VEHICLE",
  "OTHER",
] as const;

/** One of {@linkcode ASSET_TYPES}. */
export type AssetType = (typeof ASSET_TYPES)[number];

/** What a manifest is for. */
export const MANIFEST_CATEGORIES = [
  "CHARACTERS",
  "ENVIRONMENT",
  "FULL_PRODUCTION",
  "STYLE_KIT",
  "BRAND_KIT",
  "CUSTOM",
] as const;

/** One of {@linkcode MANIFEST_CATEGORIES}. */
export type ManifestCategory = (typeof MANIFEST_CATEGORIES)[number];

/** Life cycle of a manifest: DRAFT → PROCESSING → READY | ERROR. */
export const MANIFEST_STATUSES = ["DRAFT", "PROCESSING", "READY", "ERROR"] as const;

/** One of {@linkcode MANIFEST_STATUSES}. */
export type ManifestStatus = (typeof MANIFEST_STATUSES)[number];

/** Where an asset came from. */
export const ASSET_SOURCES = ["uploaded", "extracted"] as const;

/** One of {@linkcode ASSET_SOURCES}. */
export type AssetSource = (typeof ASSET_SOURCES)[number];

/** What an extracted asset was cut out as. */
export const EXTRACTION_ROLES = ["person", "face", "object"] as const;

/** One of {@linkcode EXTRACTION_ROLES}. */
export type ExtractionRole = (typeof EXTRACTION_ROLES)[number];

/** A project's states: DRAFT until a storyboard is stored; GENERATING while a job writes one. */
export const PROJECT_STATUSES = ["DRAFT", "GENERATING", "READY", "ERROR"] as const;

/** One of {@linkcode PROJECT_STATUSES}. */
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** Aspect ratios a project can have. */
export const ASPECT_RATIOS = ["16:9", "9:16"] as const;

/** One of {@linkcode ASPECT_RATIOS}. */
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** What a job does. */
export const JOB_KINDS = ["process_manifest", "reprocess_asset", "storyboard"] as const;

/** One of {@linkcode JOB_KINDS}. */
export type JobKind = (typeof JOB_KINDS)[number];

/** Life cycle of a job. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;

/** One of {@linkcode JOB_STATUSES}. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Frame types the server persists and sends to subscribers. */
export const FRAME_TYPES = ["snapshot", "step", "progress", "asset", "done", "error"] as const;

/** One of {@linkcode FRAME_TYPES}. */
export type FrameType = (typeof FRAME_TYPES)[number];

/** A topic: the manifest or project a frame is about. */
export type Topic = `manifest:${string}` | `project:${string}`;

/** Whether `value` is one of `values`: narrows text read from JSON to a vocabulary's union. */
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === "string" && (values as readonly string[]).includes(value);
}
