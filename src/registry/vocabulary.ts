/**
 * The fixed vocabularies of the data model (SPEC §3), as `as const` tuples so zod enums,
 * TypeScript types and the database agree on one list each.
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

/** What an extracted asset was cut out as. */
export const EXTRACTION_ROLES = ["person", "face", "object"] as const;
