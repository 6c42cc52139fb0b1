/**
 * "Used in": where an asset appears in storyboards, shown in its detail panel. The endpoint
 * (`GET /api/assets/{id}/usage`) belongs to the usage work; until the server has it, it
 * answers 404 and this shows nothing at all.
 *
 * @module
 */
import { api } from "./api.js";
import { h, replace } from "./dom.js";

/**
 * One place an asset is used, as far as this view reads it.
 * @typedef {{ project_id: string, project_title?: string, scene_index?: number }} Usage
 */

/**
 * The "Used in" slot of an asset's detail panel: empty and hidden until the server says
 * where the asset is used.
 * @param {import("./api.js").Asset} asset
 * @returns {HTMLElement}
 */
export function renderUsage(asset) {
  const slot = h("section", {
    class: "usage",
    "aria-labelledby": `usage-${asset.id}`,
    hidden: true,
  });
  api(`/assets/${asset.id}/usage`).then((answer) => {
    const items = /** @type {{ items?: Usage[] } | null} */ (answer)?.items ?? [];
    if (!slot.isConnected || items.length === 0) return;
    replace(
      slot,
      h("h3", { id: `usage-${asset.id}` }, "Used in"),
      h(
        "ul",
        null,
        items.map((use) =>
          h(
            "li",
            null,
            h("a", { href: `#/projects/${use.project_id}` }, use.project_title ?? "A project"),
            use.scene_index !== undefined ? `, scene ${use.scene_index + 1}` : null,
          )
        ),
      ),
    );
    slot.hidden = false;
  }, () => {
    // No usage endpoint on this server (404), or it failed: the panel is complete without it.
  });
  return slot;
}
