/**
 * "Used in": the projects and scenes whose storyboard uses an asset
 * (`GET /assets/{id}/usage`), shown in the asset's detail panel.
 *
 * @module
 */
import { api } from "./api.js";
import { h, replace } from "./dom.js";

// As src/api/schemas.ts defines `AssetUsage`.
/**
 * @typedef {{ scene_index: number, roles: string[] }} SceneUsage
 * @typedef {{ project_id: string, title: string, roles: string[], scenes: SceneUsage[] }}
 *   ProjectUsage
 * @typedef {{ asset_id: string, tags: string[], projects: ProjectUsage[] }} AssetUsage
 */

/**
 * "Used in" in an asset's detail panel. The panel shows one asset at a time, so it asks at
 * once; it shows nothing for an untagged asset (no storyboard names it) or when the server
 * cannot say (a 404 from a server without the route, a network failure).
 * @param {{ id: string, manifest_tag: string | null }} asset
 * @returns {HTMLElement}
 */
export function renderUsage(asset) {
  const slot = h("section", { class: "usage", "aria-labelledby": "usage-title", hidden: true });
  if (!asset.manifest_tag) return slot;
  api(`/assets/${asset.id}/usage`).then((usage) => {
    replace(
      slot,
      h("h3", { id: "usage-title" }, "Used in"),
      usageList(/** @type {AssetUsage} */ (usage)),
    );
    slot.hidden = false;
  }, () => {
    // Nothing to say: the panel is complete without it.
  });
  return slot;
}

/**
 * `Project · scenes 1, 3` per project; scenes are numbered from 1, as the storyboard table
 * numbers them.
 * @param {AssetUsage} usage
 */
function usageList(usage) {
  if (usage.projects.length === 0) return h("p", { class: "muted" }, "No storyboard uses it.");
  return h(
    "ul",
    { class: "usage-list" },
    usage.projects.map((project) => {
      const numbers = project.scenes.map((scene) => scene.scene_index + 1);
      const where = numbers.length === 0
        ? "as a character"
        : `${numbers.length === 1 ? "scene" : "scenes"} ${numbers.join(", ")}`;
      return h(
        "li",
        null,
        h("a", { href: `#/projects/${project.project_id}` }, project.title),
        ` · ${where}`,
      );
    }),
  );
}
