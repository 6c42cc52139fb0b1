/**
 * The bundle format: a ZIP holding `manifest.json` (described here by zod, the one source of
 * its types), the images, the contact sheet pages, the registry block and a README.
 *
 * Assets refer to each other by `ref` — the asset's tag, or `untagged-<n>` for a crop the
 * pipeline had not tagged yet — never by database id, so a bundle means the same thing in
 * any installation. Identities have bundle-local ids (`identity-<n>`).
 *
 * @module
 */
import { z } from "zod";
import { MAX_CONTACT_SHEET_PAGE_SIZE } from "../config.ts";
import {
  ASSET_SOURCES,
  ASSET_TYPES,
  EXTRACTION_ROLES,
  MANIFEST_CATEGORIES,
} from "../db/vocabulary.ts";

/** The `format` field every bundle's `manifest.json` carries. */
export const BUNDLE_FORMAT = "manifest-studio-bundle";

/** The version this service writes, and the newest it reads. */
export const BUNDLE_VERSION = 1;

/** Where the document is inside the ZIP. */
export const MANIFEST_ENTRY = "manifest.json";
/** The registry block, as `GET /manifests/{id}/registry` returns it. */
export const REGISTRY_ENTRY = "registry.txt";
/** A short text for a person who opens the ZIP. */
export const README_ENTRY = "README.txt";

/** The entry of contact sheet page `page` (1-based): `contact-sheet/page-001.jpg`. */
export function contactSheetEntry(page: number): string {
  return `contact-sheet/page-${String(page).padStart(3, "0")}.jpg`;
}

/** File extension of each image type the service stores. */
export const IMAGE_EXTENSION: Readonly<Record<string, string>> = Object.freeze({
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
});

/** The entry of an asset's image: `images/<ref>.<ext>`. */
export function imageEntry(ref: string, mime: string | null): string {
  return `images/${ref}.${IMAGE_EXTENSION[mime ?? ""] ?? "bin"}`;
}

/** The `ref` of an asset that has no tag yet. */
export function untaggedRef(index: number): string {
  return `untagged-${index}`;
}

const UNTAGGED_REF = /^untagged-\d{1,6}$/;
const IDENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const IMAGE_PATH = /^images\/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const CONTACT_SHEET_PATH = /^contact-sheet\/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

const ref = z.string().min(1).max(80).describe("The asset's tag, or untagged-<n>");
const label = z.string().min(1).max(64);
const labels = z.array(label).max(50);
const longText = z.string().max(50_000);
const finite = z.number().finite();

/** The manifest's own fields. */
export const BundleManifest = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000).nullable(),
  category: z.enum(MANIFEST_CATEGORIES),
  tags: labels,
  status: z.enum(["DRAFT", "READY", "ERROR"])
    .describe("PROCESSING is never exported: a job was changing the manifest"),
  error: z.string().max(5000).nullable(),
  /** The source's `version`; informative, an import starts again at 1. */
  version: z.number().int().min(1),
  /**
   * The last number each tag prefix handed out, deleted assets included, so an import never
   * hands out a tag the source retired.
   */
  tag_counters: z.record(z.string().regex(/^[A-Z]{1,16}$/), z.number().int().min(0).max(1e6)),
  contact_sheet_pages: z.array(z.string().regex(CONTACT_SHEET_PATH)).max(1000)
    .describe("Entries of the contact sheet's pages, in order; empty before the first run"),
  contact_sheet_page_size: z.number().int().min(1).max(MAX_CONTACT_SHEET_PAGE_SIZE).optional()
    .describe(
      "Cells per page when there are several pages: page N shows the images of the assets " +
        "with one, in document order, from (N - 1) × size + 1",
    ),
});

/** An asset's image file and what the source knew about it. */
export const BundleImage = z.object({
  file: z.string().regex(IMAGE_PATH),
  mime: z.string().max(64),
  /** As the source recorded them; the image itself decides on import. */
  width: z.number().int().min(1).nullable(),
  height: z.number().int().min(1).nullable(),
  /** SHA-256 of the file: the blob key it gets. */
  sha256: z.string().regex(SHA256),
  /** SHA-256 of the bytes once uploaded (before EXIF rotation); uploads only. */
  upload_sha256: z.string().regex(SHA256).nullable(),
});

/** One asset. */
export const BundleAsset = z.object({
  ref,
  tag: z.string().max(80).nullable(),
  type: z.enum(ASSET_TYPES),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).nullable(),
  user_tags: labels,
  source: z.enum(ASSET_SOURCES),
  /** The `ref` of the asset this one was cut from (an upload, or a person crop). */
  parent: ref.nullable(),
  extraction_role: z.enum(EXTRACTION_ROLES).nullable(),
  is_face_crop: z.boolean(),
  sort_order: z.number().int().min(0).max(1e9),
  /** The bundle-local id of the asset's identity. */
  identity: z.string().regex(IDENTITY_ID).nullable(),
  quality_score: finite.min(0).max(10).nullable(),
  prompts: z.object({
    reverse_prompt: longText.nullable(),
    visual_description: longText.nullable(),
    suggested_name: z.string().max(1000).nullable(),
    provider: z.string().max(64).nullable(),
    error: z.string().max(5000).nullable(),
  }),
  detection: z.object({
    class: z.string().max(64).nullable(),
    confidence: finite.min(0).max(1).nullable(),
  }),
  crop_bbox: z.array(finite).length(4).nullable()
    .describe("[x1, y1, x2, y2] in the parent upload's upright pixels"),
  image: BundleImage.nullable(),
  /** When the pipeline's steps ran on it, so an import does not redo them. */
  processed: z.object({
    detected_at: z.iso.datetime().nullable(),
    prompted_at: z.iso.datetime().nullable(),
  }),
});

/** One person recognised across the manifest's images. */
export const BundleIdentity = z.object({
  id: z.string().regex(IDENTITY_ID),
  name: z.string().max(200).nullable(),
  primary: ref.nullable().describe("The member whose image represents the identity"),
  members: z.array(ref).min(1).max(100_000),
  locked: z.boolean().describe("A person changed it; reprocessing keeps it as it is"),
});

/** `manifest.json`. */
export const BundleDocument = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  exported_at: z.iso.datetime(),
  manifest: BundleManifest,
  assets: z.array(BundleAsset).max(100_000),
  identities: z.array(BundleIdentity).max(100_000),
});

/** `manifest.json` as a type. */
export type BundleDocument = z.infer<typeof BundleDocument>;
/** One asset of a bundle. */
export type BundleAsset = z.infer<typeof BundleAsset>;
/** One identity of a bundle. */
export type BundleIdentity = z.infer<typeof BundleIdentity>;

/** Whether `value` has the shape of an untagged asset's `ref`. */
export function isUntaggedRef(value: string): boolean {
  return UNTAGGED_REF.test(value);
}
