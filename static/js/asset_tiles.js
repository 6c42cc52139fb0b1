/**
 * Compact asset tiles: a thumbnail, the tag, a quality badge and the name, with a checkbox
 * for bulk selection. Editing happens in the detail panel, so a tile holds no editor and
 * costs a handful of elements; the grid shows one page of them.
 *
 * @module
 */
import { withToken } from "./auth.js";
import { h, qualityBadge } from "./dom.js";

/** @typedef {import("./api.js").Asset} Asset */

/**
 * @typedef {object} TileContext
 * @property {Set<string>} selected ids checked for bulk actions
 * @property {(identityId: string) => string | null} identityLabel e.g. "Person 2"
 * @property {(asset: Asset) => void} onOpen opens the detail panel
 * @property {(asset: Asset, checked: boolean) => void} onToggle
 */

/**
 * The name a tile reads as, e.g. `CHAR_01 Woman in red coat`.
 * @param {Asset} asset
 */
export function assetLabel(asset) {
  return `${asset.manifest_tag ?? "Untagged"} ${asset.name}`;
}

/**
 * One tile.
 * @param {Asset} asset
 * @param {TileContext} ctx
 * @returns {HTMLElement}
 */
export function assetTile(asset, ctx) {
  const label = assetLabel(asset);
  const role = asset.source === "uploaded" ? "upload" : asset.extraction_role ?? "object";
  const person = asset.identity_id ? ctx.identityLabel(asset.identity_id) : null;
  return h(
    "li",
    {
      class: `tile${ctx.selected.has(asset.id) ? " selected" : ""}`,
      dataset: { assetId: asset.id, tag: asset.manifest_tag ?? "", role },
    },
    h("input", {
      type: "checkbox",
      class: "tile-check",
      checked: ctx.selected.has(asset.id),
      "aria-label": `Select ${label}`,
      dataset: { focusKey: `check-${asset.id}` },
      onchange: (/** @type {Event} */ event) =>
        ctx.onToggle(asset, /** @type {HTMLInputElement} */ (event.target).checked),
    }),
    h(
      "button",
      {
        type: "button",
        class: "tile-open",
        dataset: { focusKey: `open-${asset.id}` },
        onclick: () => ctx.onOpen(asset),
      },
      asset.thumbnail_url
        ? h("img", {
          src: withToken(asset.thumbnail_url),
          // The text beside it names the asset; the picture would only repeat it.
          alt: "",
          width: 256,
          height: 256,
          decoding: "async",
        })
        : h("span", { class: "tile-thumb placeholder" }, "No image"),
      h(
        "span",
        { class: "tile-chips" },
        asset.manifest_tag
          ? h("span", { class: "tag-chip" }, asset.manifest_tag)
          : h("span", { class: "tag-chip pending" }, "untagged"),
        qualityBadge(asset.quality_score),
        asset.prompt_error
          ? h("span", {
            class: "badge flag",
            title: `Not described: ${asset.prompt_error}`,
            "aria-hidden": "true", // Said in words in the name below.
          }, "!")
          : null,
      ),
      h(
        "span",
        { class: "tile-name" },
        asset.name,
        h("span", { class: "sr-only" }, `, ${role}${person ? `, ${person}` : ""}`),
        asset.prompt_error ? h("span", { class: "sr-only" }, ", prompt error") : null,
      ),
    ),
  );
}
