/**
 * Request and response schemas of the projects and storyboard API.
 *
 * @module
 */
import { z } from "zod";
import {
  CharacterDescription,
  EnhancedSceneSchema,
  SceneAudioManifestSchema,
  SceneManifestSchema,
  StyleGuide,
} from "../storyboard/schemas.ts";
import { queryFlag, StepStates } from "./schemas.ts";
import { ASPECT_RATIOS, PROJECT_STATUSES } from "../db/vocabulary.ts";

const timestamp = z.string().describe("ISO-8601 UTC timestamp");

/** The fields a person sets on a project; creation adds defaults, an update none. */
const projectFields = {
  title: z.string().trim().min(1).max(200).describe("Name of the film"),
  prompt: z.string().trim().min(1).max(50_000).describe("The script"),
  style: z.string().trim().max(2000).nullable().describe(
    "Visual style wished for, e.g. 1970s film noir",
  ),
  aspect_ratio: z.enum(ASPECT_RATIOS),
  target_scene_count: z.number().int().min(1).max(20).describe("Scenes to write (1–20)"),
  manifest_id: z.string().nullable().describe(
    "The manifest whose tagged assets the storyboard may use",
  ),
};

/** Body of `POST /projects`. */
export const ProjectCreate = z.object({
  ...projectFields,
  style: projectFields.style.optional(),
  aspect_ratio: projectFields.aspect_ratio.default("16:9"),
  target_scene_count: projectFields.target_scene_count.default(3),
  manifest_id: projectFields.manifest_id.optional(),
}).strict().meta({ id: "ProjectCreate" });

/** Body of `PUT /projects/{id}`: any subset of the fields. */
export const ProjectUpdate = z.object(projectFields).partial().strict().refine(
  (body) => Object.keys(body).length > 0,
  {
    message: "Send at least one of title, prompt, style, aspect_ratio, target_scene_count, " +
      "manifest_id.",
  },
).meta({ id: "ProjectUpdate" });

/** A project as the API returns it. */
export const Project = z.object({
  id: z.string(),
  title: z.string(),
  prompt: z.string(),
  style: z.string().nullable(),
  aspect_ratio: z.enum(ASPECT_RATIOS),
  target_scene_count: z.number().int(),
  manifest_id: z.string().nullable(),
  manifest_version: z.number().int().nullable().describe(
    "The manifest's version when the stored storyboard was generated",
  ),
  status: z.enum(PROJECT_STATUSES),
  style_guide: StyleGuide.nullable(),
  error: z.string().nullable(),
  scene_count: z.number().int().describe("Scenes of the stored storyboard"),
  job_id: z.string().nullable().describe("The newest storyboard job"),
  created_at: timestamp,
  updated_at: timestamp,
}).meta({ id: "Project" });

/** Several projects. */
export const ProjectList = z.object({
  items: z.array(Project),
  total: z.number().int(),
}).meta({ id: "ProjectList" });

/** Query of `GET /projects`. */
export const ProjectListQuery = z.object({
  manifest_id: z.string().optional().describe("Only projects grounded on this manifest"),
});

/** Body of `POST /projects/{id}/storyboard` (202). */
export const StoryboardStarted = z.object({
  job_id: z.string(),
  status: z.literal("started"),
}).meta({ id: "StoryboardStarted" });

/** Body of `GET /projects/{id}/progress`, also the `project:{id}` WebSocket snapshot. */
export const StoryboardProgress = z.object({
  status: z.enum(["not_started", "queued", "processing", "complete", "error", "cancelled"]),
  job_id: z.string().nullable(),
  project_status: z.enum(PROJECT_STATUSES),
  current_step: z.string().nullable().describe("registry, writing, validating or saving"),
  progress: z.record(z.string(), z.number()).describe(
    "registry_entries, scenes_target, scenes_written, llm_calls, repair_rounds, " +
      "aliases_mapped, indices_fixed, problems, input_tokens, output_tokens",
  ),
  steps: StepStates.describe("registry, writing, validating, saving"),
  provider: z.string().nullable(),
  error: z.string().nullable(),
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
}).meta({ id: "StoryboardProgress" });

/** A stored storyboard, as `GET /projects/{id}/storyboard` returns it. */
export const Storyboard = z.object({
  project_id: z.string(),
  manifest_id: z.string().nullable(),
  manifest_version: z.number().int().nullable(),
  style_guide: StyleGuide,
  characters: z.array(CharacterDescription),
  scenes: z.array(EnhancedSceneSchema),
}).meta({ id: "Storyboard" });

/** The denormalised visual columns of a scene (`scene_manifests`). */
const visualSummary = {
  asset_tags: z.array(z.string()).describe("Distinct placements[].asset_tag"),
  shot_type: z.string().nullable().describe("composition.shot_type"),
  camera_movement: z.string().nullable().describe("composition.camera_movement"),
  new_asset_count: z.number().int().describe("Length of new_asset_declarations"),
};

/** The denormalised audio columns of a scene (`scene_audio_manifests`). */
const audioSummary = {
  speaker_tags: z.array(z.string()).describe("Distinct dialogue_lines[].speaker_tag"),
  has_dialogue: z.boolean().describe("At least one dialogue line"),
  has_music: z.boolean().describe("music is set"),
};

/** Body of `GET /projects/{id}/scenes/{index}/manifest`: the manifest and its columns. */
export const SceneManifest = SceneManifestSchema.extend(visualSummary)
  .describe("A scene's manifest with the columns it is indexed by")
  .meta({ id: "SceneManifest" });

/** Body of `GET /projects/{id}/scenes/{index}/audio`: the audio manifest and its columns. */
export const SceneAudio = SceneAudioManifestSchema.extend(audioSummary)
  .describe("A scene's audio manifest with the columns it is indexed by")
  .meta({ id: "SceneAudio" });

/** One scene of `GET /projects/{id}/scenes`. */
export const SceneSummary = z.object({
  scene_index: z.number().int(),
  scene_description: z.string(),
  ...visualSummary,
  ...audioSummary,
}).meta({ id: "SceneSummary" });

/** Body of `GET /projects/{id}/scenes`. */
export const SceneList = z.object({
  items: z.array(SceneSummary),
  total: z.number().int().describe("Scenes that match"),
}).meta({ id: "SceneList" });

/** Query of `GET /projects/{id}/scenes`: every filter given must hold. */
export const SceneListQuery = z.object({
  asset_tag: z.string().trim().min(1).max(64).optional()
    .describe("Only scenes that place this tag (stored tags are primaries, never aliases)"),
  speaker_tag: z.string().trim().min(1).max(64).optional()
    .describe("Only scenes where this tag speaks"),
  has_dialogue: queryFlag("Only scenes with (true) or without (false) dialogue"),
  has_music: queryFlag("Only scenes with (true) or without (false) music"),
  shot_type: z.string().trim().min(1).max(100).optional()
    .describe("Only scenes of this composition.shot_type, e.g. close_up"),
});
