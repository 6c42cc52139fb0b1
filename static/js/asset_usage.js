/**
 * "Used in" on an asset's card: the projects and scenes whose storyboard uses the asset
 * (`GET /assets/{id}/usage`). Fetched when the person opens it, not with the card: a
 * manifest shows many cards, redrawn on every change, and most are never asked about.
 *
 * @module
 */
import { api } from "./api.js";
import { errorText, h, replace } from "./dom.js";

// As src/api/schemas.ts defines `AssetUsage`.
/**
 * @typedef {{ scene_index: number, roles: string[] }} SceneUsage
 * @typedef {{ project_id: string, title: string, roles: string[], scenes: SceneUsage[] }}
 *   ProjectUsage
 * @typedef {{ asset_id: string, tags: string[], projects: ProjectUsage[] }} AssetUsage
 */

/**
 * The "Used in" disclosure of an asset; null for an untagged asset, which no storyboard names.
 * @param {{ id: string, manifest_tag: string | null }} asset
 * @returns {HTMLElement | null}
 */
export function usageDetails(asset) {
  if (!asset.manifest_tag) return null;
  const body = h("div", { class: "small", role: "status" }, "Looking…");
  let asked = false;
  return h(
    "details",
    {
      class: "usage",
      ontoggle: async (/** @type {Event} */ e) => {
        const details = /** @type {HTMLDetailsElement} */ (e.currentTarget);
        if (!details.open || asked) return;
        asked = true;
        try {
          replace(
            body,
            usageList(/** @type {AssetUsage} */ (await api(`/assets/${asset.id}/usage`))),
          );
        } catch (error) {
          asked = false; // opening it again retries
          replace(body, h("span", { class: "error-text" }, errorText(error)));
        }
      },
    },
    h("summary", null, "Used in"),
    body,
  );
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
