/**
 * The storyboard as a table, one row per scene: what happens, the tagged assets placed in it
 * (each a link to the asset in its manifest), the shot, and what is heard (dialogue, SFX,
 * ambience, music). Field names follow src/storyboard/schemas.ts.
 *
 * @module
 */
import { withToken } from "./auth.js";
import { h } from "./dom.js";

// The storyboard as src/api/project_schemas.ts sends it (its parts are defined in
// src/storyboard/schemas.ts). The view still copes with parts missing from a stored storyboard.

/**
 * @typedef {{ visual_style: string, color_palette: string, camera_style: string }} StyleGuide
 * @typedef {{ name: string, physical_description: string, clothing_description: string,
 *   asset_tag: string | null }} Character
 * @typedef {{ asset_tag: string, role: string, position: string, action: string | null,
 *   expression: string | null, wardrobe_note: string | null }} Placement
 * @typedef {{ shot_type: string, camera_movement: string, focal_point: string }} Composition
 * @typedef {{ name: string, asset_type: string, description: string }} NewAssetDeclaration
 * @typedef {{ scene_index: number, composition: Composition, placements: Placement[],
 *   continuity_notes: string | null,
 *   new_asset_declarations: NewAssetDeclaration[] | null }} SceneManifest
 * @typedef {{ speaker_tag: string, speaker_name: string, line: string, delivery: string | null,
 *   timing: string, emphasis: string[] | null }} DialogueLine
 * @typedef {{ effect: string, trigger: string, timing: string, volume: string }} SoundEffect
 * @typedef {{ base_layer: string, environmental: string | null, weather: string | null,
 *   time_cues: string | null }} Ambience
 * @typedef {{ style: string, mood: string, tempo: string, instruments: string[] | null,
 *   transition: string }} Music
 * @typedef {{ scene_index: number, dialogue_lines: DialogueLine[], sfx: SoundEffect[],
 *   ambient: Ambience | null, music: Music | null }} SceneAudio
 * @typedef {{ scene_index: number, scene_description: string, key_details: string[],
 *   start_frame_prompt: string, end_frame_prompt: string, video_motion_prompt: string,
 *   transition_notes: string, scene_manifest: SceneManifest, audio_manifest: SceneAudio }} Scene
 * @typedef {{ project_id: string, manifest_id: string | null, manifest_version: number | null,
 *   style_guide: StyleGuide, characters: Character[], scenes: Scene[] }} Storyboard
 */

/** @typedef {(tag: string | null | undefined, title?: string) => HTMLElement} Chip */

/**
 * Renders a storyboard (`GET /projects/{id}/storyboard`).
 * @param {Storyboard} board
 * @returns {(HTMLElement | null)[]}
 */
export function storyboardView(board) {
  const scenes = board.scenes ?? [];
  /** @param {string | null | undefined} tag */
  const chip = (tag, title = "") =>
    tag && board.manifest_id
      ? h("a", {
        class: "tag-chip",
        href: `#/manifests/${board.manifest_id}/assets/${encodeURIComponent(tag)}`,
        title: title || `Show ${tag} in the manifest`,
      }, tag)
      : h("span", { class: "tag-chip", title }, tag ?? "no tag");
  return [
    h(
      "h2",
      { id: "board-title" },
      `Storyboard (${scenes.length} ${scenes.length === 1 ? "scene" : "scenes"})`,
    ),
    board.manifest_version
      ? h("p", { class: "muted small" }, `Grounded in manifest version ${board.manifest_version}.`)
      : null,
    shotListLinks(board.project_id),
    styleGuide(board.style_guide),
    characters(board.characters ?? [], chip),
    scenes.length === 0 ? h("p", { class: "empty" }, "The storyboard has no scenes.") : h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "board" },
        h("caption", { class: "sr-only" }, "Scenes with their assets, shot and sound"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["#", "Scene", "Placements", "Composition", "Dialogue", "SFX", "Ambient", "Music"].map((
              t,
            ) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", null, scenes.map((scene) => sceneRow(scene, chip))),
      ),
    ),
  ];
}

/**
 * Downloads of the shot list (one row per scene) for a crew to print or open in a spreadsheet.
 * @param {string} projectId
 */
function shotListLinks(projectId) {
  /** @param {string} extension @param {string} label */
  const link = (extension, label) =>
    h("a", {
      href: withToken(`/api/projects/${projectId}/storyboard.${extension}`),
      download: "",
      class: "shot-list",
    }, label);
  return h(
    "p",
    { class: "small" },
    "Shot list: ",
    link("csv", "CSV (spreadsheet)"),
    " · ",
    link("md", "Markdown"),
  );
}

/** @param {StyleGuide | null | undefined} guide */
function styleGuide(guide) {
  if (!guide) return null;
  return h(
    "dl",
    { class: "style-guide panel" },
    [["Visual style", guide.visual_style], ["Colour palette", guide.color_palette], [
      "Camera",
      guide.camera_style,
    ]].map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v ?? "—"))),
  );
}

/**
 * @param {Character[]} list
 * @param {Chip} chip
 */
function characters(list, chip) {
  if (list.length === 0) return null;
  return h(
    "ul",
    { class: "characters" },
    list.map((c) =>
      h(
        "li",
        { class: "card" },
        h("p", null, h("strong", null, c.name), " ", c.asset_tag ? chip(c.asset_tag) : null),
        h("p", { class: "small" }, c.physical_description),
        h("p", { class: "small muted" }, c.clothing_description),
      )
    ),
  );
}

/**
 * @param {Scene} scene
 * @param {Chip} chip
 */
function sceneRow(scene, chip) {
  const sm = scene.scene_manifest ?? {};
  // A storyboard stored with `dialogue` rather than `dialogue_lines` still shows its lines.
  /** @type {SceneAudio & { dialogue?: DialogueLine[] }} */
  const audio = scene.audio_manifest ?? {};
  const composition = sm.composition;
  const dialogue = audio.dialogue_lines ?? audio.dialogue ?? [];
  return h(
    "tr",
    { dataset: { scene: scene.scene_index } },
    h("th", { scope: "row" }, String(scene.scene_index + 1)),
    h(
      "td",
      { class: "scene-cell" },
      h("p", null, scene.scene_description),
      scene.key_details?.length
        ? h("ul", { class: "small" }, scene.key_details.map((d) => h("li", null, d)))
        : null,
      h(
        "details",
        { class: "small" },
        h("summary", null, "Prompts"),
        h("p", null, h("strong", null, "Start frame: "), scene.start_frame_prompt),
        h("p", null, h("strong", null, "End frame: "), scene.end_frame_prompt),
        h("p", null, h("strong", null, "Motion: "), scene.video_motion_prompt),
        scene.transition_notes
          ? h("p", null, h("strong", null, "Transition: "), scene.transition_notes)
          : null,
        sm.continuity_notes
          ? h("p", null, h("strong", null, "Continuity: "), sm.continuity_notes)
          : null,
      ),
    ),
    h(
      "td",
      null,
      (sm.placements ?? []).length === 0 ? h("span", { class: "muted" }, "—") : h(
        "ul",
        { class: "placements" },
        sm.placements.map((p) =>
          h(
            "li",
            null,
            chip(p.asset_tag),
            h("span", { class: "small" }, ` ${p.role} · ${p.position}`),
            p.action ? h("span", { class: "small muted" }, ` — ${p.action}`) : null,
            p.expression ? h("span", { class: "small muted" }, ` (${p.expression})`) : null,
          )
        ),
      ),
      (sm.new_asset_declarations ?? []).length
        ? h(
          "p",
          { class: "small note" },
          "Needs new assets: ",
          /** @type {NewAssetDeclaration[]} */ (sm.new_asset_declarations).map((d) =>
            `${d.name} (${d.asset_type})`
          )
            .join(", "),
        )
        : null,
    ),
    h(
      "td",
      { class: "small" },
      composition
        ? [
          h("p", null, composition.shot_type),
          h("p", null, composition.camera_movement),
          h("p", { class: "muted" }, `Focus: ${composition.focal_point}`),
        ]
        : "—",
    ),
    h(
      "td",
      null,
      dialogue.length === 0 ? h("span", { class: "muted" }, "—") : h(
        "ul",
        { class: "dialogue" },
        dialogue.map((d) =>
          h(
            "li",
            null,
            chip(d.speaker_tag, d.speaker_name),
            " ",
            h("strong", null, d.speaker_name),
            `: “${d.line}”`,
            d.delivery ? h("span", { class: "muted small" }, ` (${d.delivery})`) : null,
          )
        ),
      ),
    ),
    listCell(audio.sfx, (s) => `${s.effect} — ${s.trigger} (${s.timing}, ${s.volume})`),
    h(
      "td",
      { class: "small" },
      audio.ambient
        ? [
          h("p", null, audio.ambient.base_layer),
          [audio.ambient.environmental, audio.ambient.weather, audio.ambient.time_cues]
            .filter(Boolean).map((t) => h("p", { class: "muted" }, t)),
        ]
        : "—",
    ),
    h(
      "td",
      { class: "small" },
      audio.music
        ? [
          h("p", null, `${audio.music.style}, ${audio.music.mood}`),
          h("p", { class: "muted" }, `${audio.music.tempo} · ${audio.music.transition}`),
          audio.music.instruments?.length
            ? h("p", { class: "muted" }, audio.music.instruments.join(", "))
            : null,
        ]
        : "—",
    ),
  );
}

/**
 * @template T
 * @param {T[] | undefined} items
 * @param {(item: T) => string} text
 */
function listCell(items, text) {
  return h(
    "td",
    { class: "small" },
    items?.length
      ? h("ul", null, items.map((item) => h("li", null, text(item))))
      : h("span", { class: "muted" }, "—"),
  );
}
