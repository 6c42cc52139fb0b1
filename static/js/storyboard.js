/**
 * The storyboard as a table, one row per scene: what happens, the tagged assets placed in it
 * (each a link to the asset in its manifest), the shot, and what is heard (dialogue, SFX,
 * ambience, music). Field names follow src/storyboard/schemas.ts.
 *
 * @module
 */
import { h } from "./dom.js";

/**
 * Renders a storyboard (`GET /projects/{id}/storyboard`).
 * @param {any} board
 * @returns {HTMLElement[]}
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

/** @param {any} guide */
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
 * @param {any[]} list
 * @param {(tag: string | null | undefined, title?: string) => HTMLElement} chip
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
 * @param {any} scene
 * @param {(tag: string | null | undefined, title?: string) => HTMLElement} chip
 */
function sceneRow(scene, chip) {
  const sm = scene.scene_manifest ?? {};
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
          sm.new_asset_declarations.map((/** @type {any} */ d) => `${d.name} (${d.asset_type})`)
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
        dialogue.map((/** @type {any} */ d) =>
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
 * @param {any[] | undefined} items
 * @param {(item: any) => string} text
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
