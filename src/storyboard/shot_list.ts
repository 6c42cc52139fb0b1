/**
 * A storyboard as a crew's shot list: one row per scene with its number, what happens, the
 * shot, the tagged assets placed in it and what is heard. Pure: the CSV and Markdown
 * renderings (`shot_list_csv.ts`, `shot_list_markdown.ts`) format these rows, and the route
 * reads the storyboard.
 *
 * @module
 */
import type { EnhancedSceneSchema, MusicDirection } from "./schemas.ts";

/** The columns of a shot list, in order, as their headings read. */
export const SHOT_LIST_COLUMNS = [
  "Scene",
  "Description",
  "Shot type",
  "Camera movement",
  "Placements",
  "Dialogue",
  "SFX",
  "Music",
] as const;

/** One scene of a shot list; list columns hold one entry per placement, line or effect. */
export interface ShotListRow {
  /** 1, 2, 3…: what a crew calls the scene (`scene_index` + 1, as the dashboard numbers it). */
  readonly scene: number;
  readonly description: string;
  readonly shot_type: string;
  readonly camera_movement: string;
  /** `TAG (role, position)` per placement, as stored. */
  readonly placements: readonly string[];
  /** `SPEAKER_TAG: line` per dialogue line. */
  readonly dialogue: readonly string[];
  /** `effect (timing, volume)` per sound effect. */
  readonly sfx: readonly string[];
  /** The music direction in one line, or null when the scene has none. */
  readonly music: string | null;
}

/** The shot-list rows of a storyboard's scenes, in playback order. */
export function shotListRows(scenes: readonly EnhancedSceneSchema[]): ShotListRow[] {
  return [...scenes].sort((a, b) => a.scene_index - b.scene_index).map((scene) => {
    const visual = scene.scene_manifest;
    const audio = scene.audio_manifest;
    return {
      scene: scene.scene_index + 1,
      description: scene.scene_description,
      shot_type: visual.composition.shot_type,
      camera_movement: visual.composition.camera_movement,
      placements: visual.placements.map((p) => `${p.asset_tag} (${p.role}, ${p.position})`),
      dialogue: audio.dialogue_lines.map((line) => `${line.speaker_tag}: ${line.line}`),
      sfx: audio.sfx.map((effect) => `${effect.effect} (${effect.timing}, ${effect.volume})`),
      music: audio.music ? musicLine(audio.music) : null,
    };
  });
}

/** e.g. `ambient, tense, slow (piano) — fade in`. */
function musicLine(music: MusicDirection): string {
  const instruments = music.instruments?.length ? ` (${music.instruments.join(", ")})` : "";
  return `${music.style}, ${music.mood}, ${music.tempo}${instruments} — ${music.transition}`;
}

/**
 * A download name for a project's shot list: the title reduced to ASCII letters, digits and
 * dashes (so it needs no quoting or encoding in `Content-Disposition` and is valid on every
 * file system), e.g. `night-walk-shot-list.csv`.
 */
export function shotListFilename(title: string, extension: "csv" | "md"): string {
  const slug = title.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  return `${slug || "storyboard"}-shot-list.${extension}`;
}
