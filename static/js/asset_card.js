/**
 * One asset as a card: thumbnail, tag, type, quality, provider, detection, identity, its
 * reverse prompt, where storyboards use it, inline editing of name/type/tags (saved while
 * typing) and Reprocess.
 *
 * @module
 */
import { api } from "./api.js";
import { usageDetails } from "./asset_usage.js";
import { withToken } from "./auth.js";
import { autosave, parseTags } from "./autosave.js";
import { h, qualityBadge } from "./dom.js";
import { ASSET_TYPES } from "./vocabulary.js";

/** @typedef {import("./api.js").Asset} Asset */

/**
 * @typedef {object} CardContext
 * @property {boolean} locked the manifest is processing: edits would be refused (409)
 * @property {(identityId: string) => string | null} identityLabel e.g. "Person 2"
 * @property {(asset: Asset, retagged: boolean) => void} onSaved an edit was saved; the API's
 *   asset is passed, and whether its tag changed (a new type brings a new prefix)
 * @property {(asset: Asset) => void} onReprocess starts reprocessing (the page re-renders cards)
 * @property {Map<string, { text: string, isError?: boolean, busy?: boolean }>} notes
 *   per-asset outcome of the last reprocess; kept by the page so it survives re-rendering
 */

/**
 * Builds an asset's card.
 * @param {Asset} asset
 * @param {CardContext} ctx
 * @param {{ wide?: boolean }} [options] `wide` for the upload shown beside its photo
 * @returns {HTMLElement}
 */
export function assetCard(asset, ctx, options = {}) {
  const id = asset.id;
  const saveStatus = h("span", { class: "save-status small", role: "status" });
  const saver = autosave(async (patch) => {
    const saved = /** @type {Asset} */ (await api(`/assets/${id}`, { method: "PUT", body: patch }));
    const retagged = saved.manifest_tag !== asset.manifest_tag;
    Object.assign(asset, saved);
    ctx.onSaved(saved, retagged);
  }, saveStatus);

  /** @param {string} key @param {string} label @param {HTMLElement} control */
  const field = (key, label, control) =>
    h("div", { class: "field" }, h("label", { for: `${key}-${id}` }, label), control);
  const name = h("input", {
    id: `name-${id}`,
    value: asset.name,
    maxlength: 200,
    disabled: ctx.locked,
    dataset: { focusKey: `name-${id}` },
    oninput: (/** @type {Event} */ e) => {
      const value = /** @type {HTMLInputElement} */ (e.target).value.trim();
      if (value) saver.change("name", value);
    },
    onblur: () => saver.flush(),
  });
  const type = h(
    "select",
    {
      id: `type-${id}`,
      disabled: ctx.locked,
      dataset: { focusKey: `type-${id}` },
      // Not saved at once: arrow keys on a closed list fire change for every type passed,
      // and each saved type takes a new tag number for good (tags are never reused), so
      // browsing CHARACTER → PROP → CHARACTER would leave CHAR_01 as CHAR_02. The pause (or
      // leaving the list) saves the type the person stopped on.
      onchange: (/** @type {Event} */ e) =>
        saver.change("asset_type", /** @type {HTMLSelectElement} */ (e.target).value),
      onblur: () => saver.flush(),
    },
    ASSET_TYPES.map((t) => h("option", { value: t, selected: t === asset.asset_type }, t)),
  );
  const tags = h("input", {
    id: `tags-${id}`,
    value: asset.user_tags.join(", "),
    placeholder: "e.g. lead, red coat",
    disabled: ctx.locked,
    dataset: { focusKey: `tags-${id}` },
    oninput: (/** @type {Event} */ e) =>
      saver.change("user_tags", parseTags(/** @type {HTMLInputElement} */ (e.target).value)),
    onblur: () => saver.flush(),
  });

  const note = ctx.notes.get(id);
  const reprocessStatus = h(
    "span",
    { class: `small ${note?.isError ? "error-text" : "ok"}`, role: "status" },
    note?.text ?? "",
  );
  const reprocess = h("button", {
    type: "button",
    class: "small",
    disabled: ctx.locked || !asset.reference_image_url || note?.busy,
    "aria-label": `Reprocess ${asset.manifest_tag ?? asset.name}`,
    dataset: { focusKey: `reprocess-${id}` },
    onclick: () => ctx.onReprocess(asset),
  }, "Reprocess");

  const identity = asset.identity_id ? ctx.identityLabel(asset.identity_id) : null;
  const detection = asset.detection_class
    ? `${asset.detection_class} ${Math.round((asset.detection_confidence ?? 0) * 100)}%`
    : null;
  return h(
    "article",
    {
      class: `card asset-card${options.wide ? " wide" : ""}`,
      tabindex: "-1",
      "aria-label": `${asset.manifest_tag ?? "Untagged"} ${asset.name}`,
      dataset: {
        assetId: id,
        tag: asset.manifest_tag ?? "",
        role: asset.extraction_role ?? "",
        focusKey: `card-${id}`,
      },
    },
    asset.thumbnail_url
      ? h(
        "a",
        {
          class: "asset-thumb",
          // Both URLs exist once the asset has an image.
          href: withToken(/** @type {string} */ (asset.reference_image_url)),
          target: "_blank",
          rel: "noopener",
          title: "Open the full image",
          dataset: { focusKey: `thumb-${id}` },
        },
        h("img", {
          src: withToken(asset.thumbnail_url),
          alt: asset.visual_description ?? asset.name,
          loading: "lazy",
        }),
      )
      : h("div", { class: "asset-thumb placeholder" }, "No image"),
    h(
      "div",
      { class: "card-body" },
      h(
        "p",
        { class: "chips" },
        asset.manifest_tag ? h("span", { class: "tag-chip" }, asset.manifest_tag) : h(
          "span",
          { class: "tag-chip pending", title: "Tags are given when processing ends" },
          "untagged",
        ),
        qualityBadge(asset.quality_score),
      ),
      h(
        "p",
        { class: "meta small" },
        detection ? h("span", { title: "Detection class and confidence" }, detection) : null,
        asset.source === "uploaded" ? h("span", null, "upload") : null,
        asset.provider ? h("span", { title: "Described by" }, asset.provider) : null,
        identity ? h("span", { class: "identity-ref" }, identity) : null,
      ),
      field("name", "Name", name),
      field("type", "Type", type),
      field("tags", "Tags", tags),
      asset.prompt_error
        ? h("p", { class: "error-text small" }, `Not described: ${asset.prompt_error}`)
        : null,
      asset.reverse_prompt
        ? h(
          "details",
          { class: "prompt" },
          h("summary", null, "Reverse prompt"),
          h("p", null, asset.reverse_prompt),
          asset.visual_description ? h("p", { class: "muted" }, asset.visual_description) : null,
        )
        : null,
      usageDetails(asset),
      h("div", { class: "row between" }, saveStatus, h("span", null, reprocessStatus, reprocess)),
    ),
  );
}
