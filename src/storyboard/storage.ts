/**
 * A project's storyboard in the database: written in one transaction that replaces the
 * previous one (scenes, scene_manifests and scene_audio_manifests keyed by project and scene
 * index), and read back exactly as stored.
 *
 * @module
 */
import type {
  CharacterDescription,
  EnhancedSceneSchema,
  SceneAudioManifestSchema,
  SceneManifestSchema,
  StyleGuide,
} from "./schemas.ts";
import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { SceneAudioManifestsTable } from "../db/tables.ts";
import {
  audioSummaryOf,
  type SceneAudioSummary,
  type SceneVisualSummary,
  visualSummaryOf,
} from "./scene_summary.ts";
import { AppError } from "../errors.ts";
import { now } from "../db/timestamp.ts";
import type { ProjectRow } from "./projects.ts";
import type { EnhancedStoryboardOutput } from "./schemas.ts";

/**
 * Replaces the project's storyboard with `storyboard` (already validated) and marks the
 * project READY. Call inside a transaction.
 */
export async function saveStoryboard(
  trx: Db,
  projectId: string,
  storyboard: EnhancedStoryboardOutput,
  manifestVersion: number,
): Promise<void> {
  const at = now();
  for (const table of ["scene_audio_manifests", "scene_manifests", "scenes"] as const) {
    await trx.deleteFrom(table).where("project_id", "=", projectId).execute();
  }
  for (const scene of storyboard.scenes) {
    const key = { project_id: projectId, scene_index: scene.scene_index };
    await trx.insertInto("scenes").values({
      ...key,
      scene_description: scene.scene_description,
      key_details: JSON.stringify(scene.key_details),
      start_frame_prompt: scene.start_frame_prompt,
      end_frame_prompt: scene.end_frame_prompt,
      video_motion_prompt: scene.video_motion_prompt,
      transition_notes: scene.transition_notes,
    }).execute();
    const visual = scene.scene_manifest;
    await trx.insertInto("scene_manifests").values({
      ...key,
      manifest_json: JSON.stringify(visual),
      composition_shot_type: visual.composition.shot_type,
      composition_camera_movement: visual.composition.camera_movement,
      asset_tags: JSON.stringify(unique(visual.placements.map((p) => p.asset_tag))),
      new_asset_count: visual.new_asset_declarations?.length ?? 0,
      created_at: at,
    }).execute();
    const audio = scene.audio_manifest;
    await trx.insertInto("scene_audio_manifests").values({
      ...key,
      dialogue_json: JSON.stringify(audio.dialogue_lines),
      sfx_json: JSON.stringify(audio.sfx),
      ambient_json: jsonOrNull(audio.ambient),
      music_json: jsonOrNull(audio.music),
      audio_continuity_json: jsonOrNull(audio.audio_continuity),
      speaker_tags: JSON.stringify(unique(audio.dialogue_lines.map((line) => line.speaker_tag))),
      has_dialogue: audio.dialogue_lines.length > 0 ? 1 : 0,
      has_music: audio.music ? 1 : 0,
      created_at: at,
    }).execute();
  }
  await trx.updateTable("projects").set({
    status: "READY",
    error: null,
    style_guide: JSON.stringify(storyboard.style_guide),
    storyboard_raw: JSON.stringify(storyboard),
    manifest_version: manifestVersion,
    updated_at: at,
  }).where("id", "=", projectId).execute();
}

/** A stored storyboard as clients read it. */
export type StoredStoryboard = {
  project_id: string;
  manifest_id: string | null;
  manifest_version: number | null;
  style_guide: StyleGuide;
  characters: CharacterDescription[];
  scenes: EnhancedSceneSchema[];
};

/** The stored storyboard of `project`, or a 404 when none was generated yet. */
export async function readStoryboard(
  db: Db,
  project: ProjectRow,
): Promise<StoredStoryboard> {
  assertHasStoryboard(project);
  const scenes = await db.selectFrom("scenes").selectAll().where("project_id", "=", project.id)
    .orderBy("scene_index").execute();
  const visuals = await db.selectFrom("scene_manifests").selectAll()
    .where("project_id", "=", project.id).execute();
  const audios = await db.selectFrom("scene_audio_manifests").selectAll()
    .where("project_id", "=", project.id).execute();
  const visualOf = new Map(visuals.map((row) => [row.scene_index, row]));
  const audioOf = new Map(audios.map((row) => [row.scene_index, row]));
  return {
    project_id: project.id,
    manifest_id: project.manifest_id,
    manifest_version: project.manifest_version,
    style_guide: JSON.parse(project.style_guide),
    characters: JSON.parse(project.storyboard_raw).characters ?? [],
    scenes: scenes.map((row) => ({
      scene_index: row.scene_index,
      scene_description: row.scene_description,
      key_details: JSON.parse(row.key_details),
      start_frame_prompt: row.start_frame_prompt ?? "",
      end_frame_prompt: row.end_frame_prompt ?? "",
      video_motion_prompt: row.video_motion_prompt ?? "",
      transition_notes: row.transition_notes ?? "",
      scene_manifest: JSON.parse(visualOf.get(row.scene_index)!.manifest_json),
      audio_manifest: audioFromRow(audioOf.get(row.scene_index)!),
    })),
  };
}

/** One scene's visual manifest with its denormalised columns, or a 404. */
export async function readSceneManifest(
  db: Db,
  projectId: string,
  index: number,
): Promise<SceneManifestSchema & SceneVisualSummary> {
  const row = await db.selectFrom("scene_manifests")
    .select([
      "manifest_json",
      "asset_tags",
      "composition_shot_type",
      "composition_camera_movement",
      "new_asset_count",
    ])
    .where("project_id", "=", projectId).where("scene_index", "=", index).executeTakeFirst();
  if (!row) throw noScene(projectId, index);
  return { ...JSON.parse(row.manifest_json), ...visualSummaryOf(row) };
}

/** One scene's audio manifest with its denormalised columns, or a 404. */
export async function readSceneAudio(
  db: Db,
  projectId: string,
  index: number,
): Promise<SceneAudioManifestSchema & SceneAudioSummary> {
  const row = await db.selectFrom("scene_audio_manifests").selectAll()
    .where("project_id", "=", projectId).where("scene_index", "=", index).executeTakeFirst();
  if (!row) throw noScene(projectId, index);
  return { ...audioFromRow(row), ...audioSummaryOf(row) };
}

/** Refuses, with a 404 that says how to make one, a project whose storyboard was never stored. */
export function assertHasStoryboard(
  project: ProjectRow,
): asserts project is ProjectRow & { storyboard_raw: string; style_guide: string } {
  if (!project.storyboard_raw || !project.style_guide) throw noStoryboard(project.id);
}

type AudioRow = Omit<Selectable<SceneAudioManifestsTable>, "project_id" | "created_at">;

function audioFromRow(row: AudioRow): SceneAudioManifestSchema {
  const parse = (json: string | null) => json === null ? null : JSON.parse(json);
  return {
    scene_index: row.scene_index,
    dialogue_lines: parse(row.dialogue_json) ?? [],
    sfx: parse(row.sfx_json) ?? [],
    ambient: parse(row.ambient_json),
    music: parse(row.music_json),
    audio_continuity: parse(row.audio_continuity_json),
  };
}

function noStoryboard(projectId: string): AppError {
  return new AppError(
    "not_found",
    `Project ${projectId} has no storyboard yet: generate one with ` +
      `POST /api/projects/${projectId}/storyboard.`,
    { code: "storyboard_not_found", details: { project_id: projectId } },
  );
}

function noScene(projectId: string, index: number): AppError {
  return new AppError(
    "not_found",
    `Project ${projectId} has no scene ${index}: GET /api/projects/${projectId}/storyboard ` +
      "lists its scenes.",
    { code: "scene_not_found", details: { project_id: projectId, scene_index: index } },
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
