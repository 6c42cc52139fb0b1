/**
 * Kysely table types for every table. Columns with a fixed vocabulary are typed with its
 * union from `vocabulary.ts`; JSON columns hold JSON text; booleans are stored as 0/1
 * integers; timestamps are ISO-8601 UTC strings.
 *
 * @module
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type {
  AspectRatio,
  AssetSource,
  AssetType,
  ExtractionRole,
  FrameType,
  JobKind,
  JobStatus,
  ManifestCategory,
  ManifestStatus,
  ProjectStatus,
  Topic,
} from "./vocabulary.ts";

/** A column SQLite fills with a default when an insert leaves it out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** `manifests`: a registry of tagged reference assets. */
export interface ManifestsTable {
  id: string;
  name: string;
  description: string | null;
  category: Defaulted<ManifestCategory>;
  tags: Defaulted<string>;
  status: Defaulted<ManifestStatus>;
  contact_sheet_key: string | null;
  contact_sheet_url: string | null;
  asset_count: Defaulted<number>;
  error: string | null;
  /** Why the contact sheet (or some of its pages) could not be drawn; null when it is whole. */
  contact_sheet_error: string | null;
  version: Defaulted<number>;
  created_at: string;
  updated_at: string;
}

/** `assets`: an uploaded image or a crop extracted from one. */
export interface AssetsTable {
  id: string;
  manifest_id: string;
  asset_type: AssetType;
  name: string;
  manifest_tag: string | null;
  user_tags: Defaulted<string>;
  description: string | null;
  source: Defaulted<AssetSource>;
  source_asset_id: string | null;
  extraction_role: ExtractionRole | null;
  sort_order: Defaulted<number>;
  image_key: string | null;
  /** SHA-256 of the bytes as uploaded; refuses a second copy of one file in a manifest. */
  upload_sha256: string | null;
  mime: string | null;
  width: number | null;
  height: number | null;
  reference_image_url: string | null;
  reverse_prompt: string | null;
  visual_description: string | null;
  quality_score: number | null;
  suggested_name: string | null;
  prompt_provider: string | null;
  detection_class: string | null;
  detection_confidence: number | null;
  crop_bbox: string | null;
  is_face_crop: Defaulted<number>;
  face_embedding: Uint8Array | null;
  identity_id: string | null;
  detected_at: string | null;
  embedded_at: string | null;
  prompted_at: string | null;
  prompt_error: string | null;
  prompt_input_tokens: number | null;
  prompt_output_tokens: number | null;
  created_at: string;
  updated_at: string;
}

/** `identities`: one real person inside one manifest. */
export interface IdentitiesTable {
  id: string;
  manifest_id: string;
  primary_asset_id: string | null;
  name: string | null;
  member_count: Defaulted<number>;
  locked: Defaulted<number>;
  created_at: string;
}

/** `tag_counters`: the last number used per (manifest, prefix); tags are never reused. */
export interface TagCountersTable {
  manifest_id: string;
  prefix: string;
  last_number: number;
}

/** `jobs`: durable background work, claimable by any process through a lease. */
export interface JobsTable {
  id: string;
  kind: JobKind;
  target_id: string;
  /**
   * Jobs with one key never run at once; also what the job reports on (its topic is
   * `{subject}:{serial_key}`). Set from the job's kind when it is queued.
   */
  serial_key: string;
  status: Defaulted<JobStatus>;
  current_step: string | null;
  progress: Defaulted<string>;
  error: string | null;
  attempts: Defaulted<number>;
  /** JSON object of the job's parameters, parsed by its kind (e.g. `previous_status`). */
  params: Defaulted<string>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/**
 * `contact_sheets`: one page of a manifest's contact sheet. Cells are numbered across pages
 * (page 2 of 48-cell pages starts at 49); `fingerprint` hashes what the page shows, so a page
 * whose cells did not change is not drawn again.
 */
export interface ContactSheetsTable {
  manifest_id: string;
  /** 1, 2, … */
  page: number;
  /** Number of the page's first cell (from 1). */
  first_cell: number;
  /** Number of its last cell; `first_cell - 1` on the empty page of a manifest without images. */
  last_cell: number;
  /** The page's JPEG in the blob store, `sheets/<manifest-id>/<hash32>.jpg`. */
  blob_key: string;
  /** SHA-256 hex of the page's layout version, title, page size, cells and thumbnail keys. */
  fingerprint: string;
  created_at: string;
  updated_at: string;
}

/** `events`: persisted progress frames with a global increasing `seq`. */
export interface EventsTable {
  seq: Generated<number>;
  job_id: string | null;
  topic: Topic;
  type: FrameType;
  payload: string;
  created_at: string;
}

/** `projects`: a script and style that a storyboard is generated from. */
export interface ProjectsTable {
  id: string;
  title: string;
  prompt: string;
  style: string | null;
  aspect_ratio: Defaulted<AspectRatio>;
  target_scene_count: Defaulted<number>;
  manifest_id: string | null;
  manifest_version: number | null;
  status: Defaulted<ProjectStatus>;
  style_guide: string | null;
  storyboard_raw: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** `scenes`: one scene of a project's storyboard. */
export interface ScenesTable {
  project_id: string;
  scene_index: number;
  scene_description: string;
  key_details: Defaulted<string>;
  start_frame_prompt: string | null;
  end_frame_prompt: string | null;
  video_motion_prompt: string | null;
  transition_notes: string | null;
}

/** `scene_manifests`: which tagged assets appear in a scene, and how it is shot. */
export interface SceneManifestsTable {
  project_id: string;
  scene_index: number;
  manifest_json: string;
  composition_shot_type: string | null;
  composition_camera_movement: string | null;
  asset_tags: Defaulted<string>;
  new_asset_count: Defaulted<number>;
  created_at: string;
}

/** `scene_audio_manifests`: what is heard in a scene. */
export interface SceneAudioManifestsTable {
  project_id: string;
  scene_index: number;
  dialogue_json: string | null;
  sfx_json: string | null;
  ambient_json: string | null;
  music_json: string | null;
  audio_continuity_json: string | null;
  speaker_tags: Defaulted<string>;
  has_dialogue: Defaulted<number>;
  has_music: Defaulted<number>;
  created_at: string;
}

/** The whole database as Kysely sees it. */
export interface Database {
  manifests: ManifestsTable;
  assets: AssetsTable;
  identities: IdentitiesTable;
  tag_counters: TagCountersTable;
  contact_sheets: ContactSheetsTable;
  jobs: JobsTable;
  events: EventsTable;
  projects: ProjectsTable;
  scenes: ScenesTable;
  scene_manifests: SceneManifestsTable;
  scene_audio_manifests: SceneAudioManifestsTable;
}

/** A manifest row as read. */
export type ManifestRow = Selectable<ManifestsTable>;
/** An asset row as read. */
export type AssetRow = Selectable<AssetsTable>;
/**
 * An asset row with, instead of its face embedding (binary, 2 KiB), whether it has one (1 or
 * 0): all any view of an asset shows.
 */
export type AssetFields = Omit<AssetRow, "face_embedding"> & { has_face_embedding: number };
/** The columns of {@linkcode AssetFields} but `has_face_embedding`, which is computed. */
export const ASSET_FIELD_COLUMNS = Object.freeze(
  [
    "id",
    "manifest_id",
    "asset_type",
    "name",
    "manifest_tag",
    "user_tags",
    "description",
    "source",
    "source_asset_id",
    "extraction_role",
    "sort_order",
    "image_key",
    "upload_sha256",
    "mime",
    "width",
    "height",
    "reference_image_url",
    "reverse_prompt",
    "visual_description",
    "quality_score",
    "suggested_name",
    "prompt_provider",
    "detection_class",
    "detection_confidence",
    "crop_bbox",
    "is_face_crop",
    "identity_id",
    "detected_at",
    "embedded_at",
    "prompted_at",
    "prompt_error",
    "prompt_input_tokens",
    "prompt_output_tokens",
    "created_at",
    "updated_at",
  ] as const satisfies readonly (keyof AssetFields)[],
);
// A column added to `assets` must be listed above (or be the embedding): else this fails.
type UnlistedField = Exclude<
  keyof AssetFields,
  typeof ASSET_FIELD_COLUMNS[number] | "has_face_embedding"
>;
const everyAssetField: UnlistedField extends never ? true : false = true;
void everyAssetField;
/** An asset row as inserted. */
export type NewAssetRow = Insertable<AssetsTable>;
/** A change to an asset row. */
export type AssetUpdate = Updateable<AssetsTable>;
/** A job row as read. */
export type JobRow = Selectable<JobsTable>;
/** A contact sheet page row as read. */
export type ContactSheetRow = Selectable<ContactSheetsTable>;
/** An identity row as read. */
export type IdentityRow = Selectable<IdentitiesTable>;
