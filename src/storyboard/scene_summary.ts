/**
 * A scene at a glance: the denormalised columns of `scene_manifests` and
 * `scene_audio_manifests` (tags placed and speaking, shot, camera, new assets, dialogue,
 * music) as clients see them.
 *
 * @module
 */
import type { Selectable } from "kysely";
import { parseJsonList } from "../db/json_list.ts";
import type { SceneAudioManifestsTable, SceneManifestsTable } from "../db/tables.ts";

/** The visual columns of a scene, as clients see them. */
export type SceneVisualSummary = {
  /** Distinct `placements[].asset_tag`, in order of first placement. */
  asset_tags: string[];
  /** `composition.shot_type` (column `composition_shot_type`). */
  shot_type: string | null;
  /** `composition.camera_movement` (column `composition_camera_movement`). */
  camera_movement: string | null;
  /** Number of `new_asset_declarations`. */
  new_asset_count: number;
};

/** The audio columns of a scene, as clients see them. */
export type SceneAudioSummary = {
  /** Distinct `dialogue_lines[].speaker_tag`, in order of first line. */
  speaker_tags: string[];
  has_dialogue: boolean;
  has_music: boolean;
};

/** One scene of `GET /projects/{id}/scenes`. */
export type SceneSummary =
  & { scene_index: number; scene_description: string }
  & SceneVisualSummary
  & SceneAudioSummary;

type VisualColumns = Pick<
  Selectable<SceneManifestsTable>,
  "asset_tags" | "composition_shot_type" | "composition_camera_movement" | "new_asset_count"
>;
type AudioColumns = Pick<
  Selectable<SceneAudioManifestsTable>,
  "speaker_tags" | "has_dialogue" | "has_music"
>;

/** The visual summary of a `scene_manifests` row. */
export function visualSummaryOf(row: VisualColumns): SceneVisualSummary {
  return {
    asset_tags: parseJsonList(row.asset_tags),
    shot_type: row.composition_shot_type,
    camera_movement: row.composition_camera_movement,
    new_asset_count: row.new_asset_count,
  };
}

/** The audio summary of a `scene_audio_manifests` row. */
export function audioSummaryOf(row: AudioColumns): SceneAudioSummary {
  return {
    speaker_tags: parseJsonList(row.speaker_tags),
    has_dialogue: row.has_dialogue === 1,
    has_music: row.has_music === 1,
  };
}
