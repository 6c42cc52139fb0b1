/**
 * A project's scenes with their summaries, filtered by the denormalised columns.
 *
 * Filters on scalar columns (shot type, dialogue, music) run in SQL; membership in the
 * JSON-list columns (`asset_tags`, `speaker_tags`) is tested in code after `parseJsonList`.
 * That keeps the SQL portable (no `json_each`, which is SQLite-only, nor PostgreSQL's
 * `jsonb` operators) and exact (no `LIKE` on JSON text, whose wildcards and quotes would need
 * escaping), and costs next to nothing: a storyboard asks for at most 20 scenes.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { ProjectRow } from "./projects.ts";
import { audioSummaryOf, type SceneSummary, visualSummaryOf } from "./scene_summary.ts";
import { assertHasStoryboard } from "./storage.ts";

/** Which scenes to list: every given condition must hold (AND); none given lists them all. */
export interface SceneFilter {
  /** Placed in the scene (exact tag, as stored: aliases were replaced by their primary). */
  readonly asset_tag?: string;
  /** Speaks in the scene. */
  readonly speaker_tag?: string;
  readonly has_dialogue?: boolean;
  readonly has_music?: boolean;
  /** Exact `composition.shot_type`. */
  readonly shot_type?: string;
}

/**
 * The project's scenes in playback order with their summaries, only those matching
 * `filter`; a 404 when the project has no storyboard yet.
 */
export async function listScenes(
  db: Db,
  project: ProjectRow,
  filter: SceneFilter,
): Promise<SceneSummary[]> {
  assertHasStoryboard(project);
  let query = db.selectFrom("scenes")
    .innerJoin(
      "scene_manifests as v",
      (join) =>
        join.onRef("v.project_id", "=", "scenes.project_id")
          .onRef("v.scene_index", "=", "scenes.scene_index"),
    )
    .innerJoin(
      "scene_audio_manifests as a",
      (join) =>
        join.onRef("a.project_id", "=", "scenes.project_id")
          .onRef("a.scene_index", "=", "scenes.scene_index"),
    )
    .select([
      "scenes.scene_index",
      "scenes.scene_description",
      "v.asset_tags",
      "v.composition_shot_type",
      "v.composition_camera_movement",
      "v.new_asset_count",
      "a.speaker_tags",
      "a.has_dialogue",
      "a.has_music",
    ])
    .where("scenes.project_id", "=", project.id);
  if (filter.shot_type !== undefined) {
    query = query.where("v.composition_shot_type", "=", filter.shot_type);
  }
  if (filter.has_dialogue !== undefined) {
    query = query.where("a.has_dialogue", "=", filter.has_dialogue ? 1 : 0);
  }
  if (filter.has_music !== undefined) {
    query = query.where("a.has_music", "=", filter.has_music ? 1 : 0);
  }
  const rows = await query.orderBy("scenes.scene_index").execute();
  return rows.map((row): SceneSummary => ({
    scene_index: row.scene_index,
    scene_description: row.scene_description,
    ...visualSummaryOf(row),
    ...audioSummaryOf(row),
  })).filter((scene) => hasTags(scene, filter));
}

/** Whether a scene holds the tags `filter` asks for (the list columns, tested in code). */
function hasTags(scene: SceneSummary, filter: SceneFilter): boolean {
  if (filter.asset_tag !== undefined && !scene.asset_tags.includes(filter.asset_tag)) {
    return false;
  }
  return filter.speaker_tag === undefined || scene.speaker_tags.includes(filter.speaker_tag);
}
