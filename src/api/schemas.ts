/**
 * Request and response schemas of the HTTP API. They are the single source of the API's
 * types: the route declarations validate with them, serializers are typed by them, and
 * `/openapi.json` is generated from them (a schema with a `meta` id becomes a component).
 *
 * @module
 */
import { z } from "zod";
import {
  ASSET_SOURCES,
  ASSET_TYPES,
  EXTRACTION_ROLES,
  MANIFEST_CATEGORIES,
  MANIFEST_STATUSES,
} from "../db/vocabulary.ts";
import { THUMBNAIL_SIZES } from "../registry/blob_refs.ts";
import { USAGE_ROLES } from "../registry/usage.ts";

const trimmed = (min: number, max: number) => z.string().trim().min(min).max(max);
const timestamp = z.string().describe("ISO-8601 UTC timestamp");
const userTags = z.array(trimmed(1, 64)).max(50).describe("Free labels chosen by people");

/** The error body every failing request returns. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe("Stable snake_case identifier of the error"),
    message: z.string().describe("What went wrong and what to do, for a person"),
    details: z.unknown().optional().describe("Data for programs, e.g. the offending field"),
  }),
}).meta({ id: "Error" });

/**
 * A boolean query parameter, spelled `true` or `false`; anything else is a 422 (a lenient
 * reading would turn `force=yes` or `force=1` into a silent `false`).
 */
export function queryFlag(description: string) {
  return z.enum(["true", "false"]).transform((value) => value === "true").optional()
    .describe(description);
}

/**
 * A path parameter that must be an id. Only described as a UUID, not checked as one: any
 * other string names nothing, so it answers 404 like an unknown UUID rather than 422.
 */
export const IdParam = z.object({
  id: z.string().meta({ format: "uuid", description: "The id the server gave it" }),
});

// ---- manifests -------------------------------------------------------------------------------

/** Body of `POST /manifests`. */
export const ManifestCreate = z.object({
  name: trimmed(1, 200).describe("Name shown in the library"),
  description: z.string().max(5000).nullable().optional(),
  category: z.enum(MANIFEST_CATEGORIES).default("CUSTOM"),
  tags: userTags.default([]),
}).strict().meta({ id: "ManifestCreate" });

/** Body of `PUT /manifests/{id}`: any subset of the creatable fields. */
export const ManifestUpdate = z.object({
  name: trimmed(1, 200).optional(),
  description: z.string().max(5000).nullable().optional(),
  category: z.enum(MANIFEST_CATEGORIES).optional(),
  tags: userTags.optional(),
}).strict().refine((body) => Object.keys(body).length > 0, {
  message: "Send at least one of name, description, category, tags.",
}).meta({ id: "ManifestUpdate" });

/** Query of `GET /manifests`. */
export const ManifestListQuery = z.object({
  status: z.enum(MANIFEST_STATUSES).optional(),
  category: z.enum(MANIFEST_CATEGORIES).optional(),
  q: z.string().trim().max(200).optional().describe(
    "Case-insensitive search in name and description",
  ),
  sort: z.enum(["updated_at", "created_at", "name", "asset_count"]).default("updated_at"),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  // zod-to-openapi asks a schema whether it accepts null, and a coerced number does (as 0),
  // so the document's type is spelled out to keep `offset` from reading as nullable.
  offset: z.coerce.number().int().min(0).default(0)
    .meta({ type: "integer", minimum: 0, default: 0 }),
});

/** A manifest as the API returns it. */
export const Manifest = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.enum(MANIFEST_CATEGORIES),
  tags: z.array(z.string()),
  status: z.enum(MANIFEST_STATUSES),
  contact_sheet_url: z.string().nullable().describe(
    "Page 1 of the contact sheet; GET /manifests/{id}/contact-sheets lists every page",
  ),
  contact_sheet_error: z.string().nullable().describe(
    "Why the last run could not draw the contact sheet, or some of its pages (a warning: " +
      "the manifest is still READY); null when it is whole",
  ),
  asset_count: z.number().int(),
  error: z.string().nullable(),
  version: z.number().int().describe("Incremented on every content change"),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "Manifest" });

/** A page of manifests. */
export const ManifestList = z.object({
  items: z.array(Manifest),
  total: z.number().int(),
}).meta({ id: "ManifestList" });

// ---- assets ----------------------------------------------------------------------------------

/** Body of `POST /manifests/{id}/assets`. */
export const AssetCreate = z.object({
  name: trimmed(1, 200),
  asset_type: z.enum(ASSET_TYPES).default("CHARACTER"),
  description: z.string().max(5000).nullable().optional(),
  user_tags: userTags.default([]),
}).strict().meta({ id: "AssetCreate" });

/** Body of `PUT /assets/{id}`. */
export const AssetUpdate = z.object({
  name: trimmed(1, 200).optional(),
  description: z.string().max(5000).nullable().optional(),
  asset_type: z.enum(ASSET_TYPES).optional(),
  user_tags: userTags.optional(),
  sort_order: z.number().int().min(0).max(1_000_000).optional(),
  reverse_prompt: z.string().max(10000).nullable().optional(),
  visual_description: z.string().max(10000).nullable().optional(),
}).strict().refine((body) => Object.keys(body).length > 0, {
  message: "Send at least one field to change.",
}).meta({ id: "AssetUpdate" });

/** An asset as the API returns it. */
export const Asset = z.object({
  id: z.string(),
  manifest_id: z.string(),
  asset_type: z.enum(ASSET_TYPES),
  name: z.string(),
  manifest_tag: z.string().nullable().describe("Stable tag such as CHAR_01; never reused"),
  user_tags: z.array(z.string()),
  description: z.string().nullable(),
  source: z.enum(ASSET_SOURCES),
  source_asset_id: z.string().nullable().describe("The upload (or person crop) cut from"),
  extraction_role: z.enum(EXTRACTION_ROLES).nullable(),
  sort_order: z.number().int(),
  mime: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  reference_image_url: z.string().nullable(),
  thumbnail_url: z.string().nullable(),
  reverse_prompt: z.string().nullable(),
  visual_description: z.string().nullable(),
  quality_score: z.number().nullable().describe("0–10, one decimal"),
  suggested_name: z.string().nullable(),
  provider: z.string().nullable().describe("Which reverse-prompt provider described it"),
  detection_class: z.string().nullable(),
  detection_confidence: z.number().nullable(),
  crop_bbox: z.array(z.number()).length(4).nullable()
    .describe("[x1, y1, x2, y2] in the oriented parent upload's pixels"),
  is_face_crop: z.boolean(),
  identity_id: z.string().nullable(),
  has_face_embedding: z.boolean(),
  detected_at: timestamp.nullable(),
  embedded_at: timestamp.nullable(),
  prompted_at: timestamp.nullable(),
  prompt_error: z.string().nullable(),
  token_usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() })
    .nullable().describe("Tokens of the remote call that described it (null when local)"),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "Asset" });

/** Query of `DELETE /assets/{id}` and `PUT /assets/{id}`. */
export const ForceQuery = z.object({
  force: queryFlag(
    "`true` deletes or retypes the asset even though a storyboard uses it (otherwise 409 " +
      "`asset_in_use` names the scenes); those storyboards keep naming the old tag",
  ),
});

/** How a scene uses an asset's tag. */
const UsageRole = z.enum(USAGE_ROLES).describe(
  "placement: placed in the scene; speaker: speaks in it; character: one of the " +
    "storyboard's recurring characters (on a scene: placed or heard there)",
);

/** Body of `GET /assets/{id}/usage`, also the `details` of a 409 `asset_in_use`. */
export const AssetUsage = z.object({
  asset_id: z.string(),
  tags: z.array(z.string()).describe(
    "The tags looked for: the asset's own and those of the other members of its identity " +
      "(storyboards store an alias as its identity's primary tag)",
  ),
  projects: z.array(z.object({
    project_id: z.string(),
    title: z.string(),
    roles: z.array(UsageRole).describe("Every role the asset plays in this storyboard"),
    scenes: z.array(z.object({
      scene_index: z.number().int().describe("0-based, as in /projects/{id}/scenes/{index}"),
      roles: z.array(UsageRole),
    })).describe("The scenes that use it, in playback order"),
  })).describe("Projects grounded on the asset's manifest whose stored storyboard uses it"),
}).meta({ id: "AssetUsage" });

/** Several assets. */
export const AssetList = z.object({ items: z.array(Asset) }).meta({ id: "AssetList" });

/** One person recognised across photos. */
export const Identity = z.object({
  id: z.string(),
  manifest_id: z.string(),
  primary_asset_id: z.string().nullable(),
  name: z.string().nullable(),
  member_count: z.number().int(),
  locked: z.boolean(),
  created_at: timestamp,
}).meta({ id: "Identity" });

/** Ids a bulk request names: at least one, each at most once in effect (repeats are ignored). */
const idList = (what: string, max: number) =>
  z.array(z.string()).min(1, `Select at least one ${what}.`).max(
    max,
    `At most ${max} ${what}s per request: split the selection.`,
  );

/** Body of `POST /manifests/{id}/assets/bulk`: one change to many assets, all or nothing. */
export const AssetBulk = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("set_type").describe("Give every asset this type (and a tag of its prefix)"),
    asset_ids: idList("asset", 5000),
    asset_type: z.enum(ASSET_TYPES),
  }).strict().meta({ id: "AssetBulkSetType" }),
  z.object({
    action: z.literal("delete").describe("Delete the assets and the crops cut from them"),
    asset_ids: idList("asset", 5000),
  }).strict().meta({ id: "AssetBulkDelete" }),
]).meta({ id: "AssetBulk" });

/** Answer of `POST /manifests/{id}/assets/bulk`. */
export const AssetBulkResult = z.object({
  items: z.array(Asset).describe("The assets changed, as they are now (empty for delete)"),
  deleted_ids: z.array(z.string()).describe(
    "Every asset deleted, crops of the named ones included (empty for set_type)",
  ),
}).meta({ id: "AssetBulkResult" });

/** Several identities. */
export const IdentityList = z.object({ items: z.array(Identity) }).meta({ id: "IdentityList" });

/** A manifest with everything in it. */
export const ManifestDetail = Manifest.extend({
  assets: z.array(Asset),
  identities: z.array(Identity),
  token_usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() })
    .describe("Tokens of every remote reverse-prompt call stored on its assets, summed"),
}).meta({ id: "ManifestDetail" });

/** Query of `GET /assets/{id}/thumbnail`. */
export const ThumbnailQuery = z.object({
  size: z.coerce.number().int().refine(
    (n) => (THUMBNAIL_SIZES as readonly number[]).includes(n),
    { message: `Choose a size among ${THUMBNAIL_SIZES.join(", ")}.` },
  ).default(256).meta({ type: "integer", enum: [...THUMBNAIL_SIZES], default: 256 }),
});

/** A file part of a multipart body; OpenAPI spells it as a binary string. */
const imageFile = z.file().meta({ type: "string", format: "binary" });

/** Multipart body of `POST /assets/{id}/upload`. */
export const SingleUploadForm = z.object({
  file: imageFile.describe("A JPEG, PNG or WebP image"),
}).meta({ id: "SingleUpload" });

/** Multipart body of `POST /manifests/{id}/uploads`. */
export const BatchUploadForm = z.object({
  file: z.array(imageFile).min(1).describe("One or more JPEG, PNG or WebP images"),
  asset_type: z.array(z.enum(ASSET_TYPES)).optional()
    .describe("One per file, in order, or a single value for all; default CHARACTER"),
  name: z.array(z.string()).optional()
    .describe("One per file, in order; default: the file name without extension"),
}).meta({ id: "BatchUpload" });

/** Multipart body of `POST /manifests/import`. */
export const BundleImportForm = z.object({
  file: z.file().meta({ type: "string", format: "binary" })
    .describe("A bundle: the ZIP that GET /manifests/{id}/export makes"),
}).meta({ id: "BundleImport" });

// ---- service ---------------------------------------------------------------------------------

/** Body of `GET /healthz`. */
export const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

/** Body of `GET /readyz`. */
export const Readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  database: z.enum(["ok", "error"]),
  blob_store: z.object({
    kind: z.enum(["local", "s3"]).describe("Files under DATA_DIR, or an S3-compatible bucket"),
    status: z.enum(["ok", "error"]).describe("error: the service log says why"),
  }),
  database_kind: z.enum(["sqlite", "postgres"])
    .describe("Where the data lives: the SQLite file in DATA_DIR, or DATABASE_URL"),
  instance: z.string().describe(
    "This process's id: the lease owner of the jobs it runs (several instances share one database)",
  ),
  workers: z.object({
    size: z.number().int(),
    busy: z.number().int(),
    queued: z.number().int(),
    engines: z.array(z.string()),
  }),
  models: z.array(z.string()).describe("ONNX models loaded in the workers"),
  reverse_prompt_provider: z.enum(["gemini", "local"]),
  storyboard_writer: z.enum(["gemini"]).nullable().describe(
    "Who writes storyboards; null when GEMINI_API_KEY is not set (generation answers 503)",
  ),
}).meta({ id: "Readiness" });

// ---- processing ------------------------------------------------------------------------------

/** Body of `POST /manifests/{id}/process` (202). */
export const ProcessStarted = z.object({
  task_id: z.string().describe("The same as job_id"),
  job_id: z.string(),
  status: z.literal("started"),
}).meta({ id: "ProcessStarted" });

/** Counters of a manifest job. */
export const ProgressCounters = z.object({
  uploads_total: z.number().int(),
  uploads_processed: z.number().int(),
  crops_total: z.number().int(),
  crops_reverse_prompted: z.number().int(),
  face_merges: z.number().int().describe("Faces beyond the first of each identity"),
  faces_embedded: z.number().int(),
  identities: z.number().int(),
  prompts_total: z.number().int().describe("Assets with an image (uploads and crops)"),
  prompts_done: z.number().int(),
  prompt_errors: z.number().int(),
  input_tokens: z.number().int().describe("Tokens sent to the remote provider by this job"),
  output_tokens: z.number().int().describe("Tokens received from the remote provider"),
}).meta({ id: "ProgressCounters" });

/** Where each step of a job is, by step name. */
export const StepStates = z.record(
  z.string(),
  z.object({
    state: z.enum(["pending", "started", "finished"]),
    duration_ms: z.number().nullable(),
  }),
);

/** Body of `GET /manifests/{id}/progress`, also the WebSocket `snapshot`. */
export const Progress = z.object({
  status: z.enum(["not_started", "queued", "processing", "complete", "error", "cancelled"]),
  job_id: z.string().nullable(),
  manifest_status: z.enum(MANIFEST_STATUSES),
  current_step: z.string().nullable(),
  progress: ProgressCounters,
  steps: StepStates.describe(
    "contact_sheet, yolo_detection, face_matching, reverse_prompting, finalizing",
  ),
  provider: z.string().nullable().describe("The reverse-prompt provider of the job"),
  error: z.string().nullable(),
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
}).meta({ id: "Progress" });

/** A background job. */
export const Job = z.object({
  id: z.string(),
  kind: z.enum(["process_manifest", "reprocess_asset", "storyboard"]),
  target_id: z.string(),
  manifest_id: z.string().nullable(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  current_step: z.string().nullable(),
  progress: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  attempts: z.number().int(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
}).meta({ id: "Job" });

/** Several jobs. */
export const JobList = z.object({ items: z.array(Job) }).meta({ id: "JobList" });

/** Query of `GET /jobs`. */
export const JobListQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]).optional(),
  kind: z.enum(["process_manifest", "reprocess_asset", "storyboard"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Query of `GET /manifests/{id}/contact-sheet`. */
export const ContactSheetQuery = z.object({
  // Spelled out for the document: a coerced number would read as nullable (see ManifestListQuery).
  page: z.coerce.number().int().min(1).default(1)
    .meta({ type: "integer", minimum: 1, default: 1, description: "Which page, from 1" }),
});

/** One page of a manifest's contact sheet. */
export const ContactSheetPage = z.object({
  page: z.number().int().describe("1, 2, …"),
  url: z.string().describe("Where its JPEG is served"),
  first_cell: z.number().int().describe("Number of its first cell; numbering runs across pages"),
  last_cell: z.number().int().describe("Number of its last cell"),
}).meta({ id: "ContactSheetPage" });

/** The pages of a manifest's contact sheet. */
export const ContactSheetPageList = z.object({
  items: z.array(ContactSheetPage).describe("In page order; empty before the first run"),
}).meta({ id: "ContactSheetPageList" });

/** Body of `POST /assets/{id}/reprocess` when it must wait (202). */
export const ReprocessQueued = z.object({
  job_id: z.string(),
  status: z.enum(["queued", "running"]),
}).meta({ id: "ReprocessQueued" });

/** Body of `POST /identities/{id}/merge`. */
export const IdentityMerge = z.object({
  into: z.string().describe("The identity that receives every member"),
}).strict().meta({ id: "IdentityMerge" });

/** Body of `POST /assets/{id}/identity`. */
export const IdentityMove = z.object({
  identity_id: z.string().nullable().describe(
    "Target identity; null puts the face alone in a new one",
  ),
}).strict().meta({ id: "IdentityMove" });

/** Body of `POST /manifests/{id}/identities/merge`. */
export const IdentityMergeMany = z.object({
  identity_ids: idList("identity", 1000).describe("The identities to merge"),
  into: z.string().optional().describe(
    "The identity that receives every member (need not be listed); default: the listed one " +
      "with the most members",
  ),
}).strict().meta({ id: "IdentityMergeMany" });

/** Body of `PUT /identities/{id}`. */
export const IdentityUpdate = z.object({
  name: trimmed(1, 100).nullable().describe("What to call this person; null removes the name"),
}).strict().meta({ id: "IdentityUpdate" });
