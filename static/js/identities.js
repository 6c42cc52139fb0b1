/**
 * The people recognised in a manifest: the faces of one person together, merging two people
 * that are one, and moving a face that was put with the wrong person. Hand-made changes are
 * locked by the server and survive reprocessing.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { errorText, h } from "./dom.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 */

/** @typedef {(text: string, action: () => Promise<unknown>, success: string) => Promise<void>} Run */

/**
 * "Person 2" labels in the order the server lists identities (oldest first).
 * @param {Identity[]} identities
 * @returns {Map<string, string>}
 */
export function identityLabels(identities) {
  return new Map(identities.map((identity, i) => [identity.id, `Person ${i + 1}`]));
}

/**
 * Renders the identities panel.
 * @param {{ identities: Identity[], assets: Asset[], locked: boolean,
 *   note: { text: string, isError?: boolean }, onChanged: () => void }} options
 *   `note` holds the outcome of the last change; the page keeps it, so it outlives the
 *   redraw that follows every change
 * @returns {HTMLElement}
 */
export function identitiesPanel({ identities, assets, locked, note, onChanged }) {
  const labels = identityLabels(identities);
  // Also asked for a primary_asset_id, which may be null (and then finds nothing).
  /** @type {Map<string | null, Asset>} */
  const byId = new Map(assets.map((a) => [a.id, a]));
  const status = h("p", { class: "small", role: "status" });
  const report = (/** @type {string} */ text, isError = false) => {
    note.text = text;
    note.isError = isError;
    status.textContent = text;
    status.className = isError ? "small error-text" : "small ok";
  };
  report(note.text, note.isError);
  /** @type {Run} */
  const run = async (text, action, success) => {
    report(text);
    try {
      await action();
      report(success);
      onChanged();
    } catch (error) {
      report(errorText(error), true);
    }
  };
  const ctx = { identities, labels, byId, locked, run };
  return h(
    "section",
    { class: "panel identities", "aria-labelledby": "people-title" },
    h("h2", { id: "people-title" }, `People (${identities.length})`),
    locked ? h("p", { class: "note" }, "Changes are possible once processing ends.") : null,
    status,
    identities.length === 0
      ? h(
        "p",
        { class: "empty" },
        "No faces recognised yet. Processing finds faces and groups those of the same person.",
      )
      : h(
        "div",
        { class: "identity-list" },
        identities.map((identity) => personCard(identity, assets, ctx)),
      ),
  );
}

/**
 * One person: their faces, then merge and move controls.
 * @param {Identity} identity
 * @param {Asset[]} assets
 * @param {{ identities: Identity[], labels: Map<string, string>, byId: Map<string | null, Asset>,
 *   locked: boolean, run: Run }} ctx
 */
function personCard(identity, assets, { identities, labels, byId, locked, run }) {
  const label = /** @type {string} */ (labels.get(identity.id));
  const primary = byId.get(identity.primary_asset_id);
  const faces = assets.filter((a) => a.identity_id === identity.id && a.is_face_crop);
  const others = identities.filter((i) => i.id !== identity.id);
  const options = () =>
    others.map((o) => h("option", { value: o.id }, personName(o, labels, byId)));

  const mergeSelect = /** @type {HTMLSelectElement} */ (
    h("select", {
      id: `merge-${identity.id}`,
      disabled: locked,
      dataset: { focusKey: `merge-${identity.id}` },
    }, options())
  );
  const merge = h(
    "form",
    {
      class: "control",
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const into = mergeSelect.value;
        run(
          `Merging ${label}…`,
          () => api(`/identities/${identity.id}/merge`, { method: "POST", body: { into } }),
          `${label} merged into ${labels.get(into)}.`,
        );
      },
    },
    h(
      "label",
      { for: `merge-${identity.id}` },
      "Merge ",
      h("span", { class: "sr-only" }, `${label} `),
      "into",
    ),
    mergeSelect,
    h("button", {
      type: "submit",
      class: "small",
      disabled: locked,
      dataset: { focusKey: `merge-button-${identity.id}` },
    }, "Merge"),
  );

  const faceSelect = /** @type {HTMLSelectElement} */ (h(
    "select",
    {
      id: `move-face-${identity.id}`,
      disabled: locked,
      dataset: { focusKey: `move-face-${identity.id}` },
    },
    faces.map((f) => h("option", { value: f.id }, f.manifest_tag ?? f.name)),
  ));
  const targetSelect = /** @type {HTMLSelectElement} */ (h(
    "select",
    {
      id: `move-to-${identity.id}`,
      disabled: locked,
      dataset: { focusKey: `move-to-${identity.id}` },
    },
    options(),
    faces.length > 1 ? h("option", { value: "" }, "a new person") : null,
  ));
  const move = h(
    "form",
    {
      class: "control",
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        // The list offers only this person's faces.
        const face = /** @type {Asset} */ (byId.get(faceSelect.value));
        const target = targetSelect.value || null;
        const tag = face?.manifest_tag ?? "The face";
        run(
          `Moving ${tag}…`,
          () =>
            api(`/assets/${face.id}/identity`, { method: "POST", body: { identity_id: target } }),
          `${tag} moved from ${label} to ${target ? labels.get(target) : "a new person"}.`,
        );
      },
    },
    h("label", { for: `move-face-${identity.id}` }, "Move face"),
    faceSelect,
    h("span"), // Keeps the grid's third column empty on this line.
    h("label", { for: `move-to-${identity.id}` }, "to"),
    targetSelect,
    h("button", {
      type: "submit",
      class: "small",
      disabled: locked,
      dataset: { focusKey: `move-button-${identity.id}` },
    }, "Move"),
  );

  return h(
    "article",
    { class: "card identity", dataset: { identityId: identity.id } },
    h(
      "h3",
      null,
      label,
      primary ? h("span", { class: "muted small" }, ` · ${describe(primary)}`) : null,
    ),
    h(
      "p",
      { class: "muted small" },
      `${faces.length} ${faces.length === 1 ? "face" : "faces"} · ` +
        `${identity.member_count} ${identity.member_count === 1 ? "asset" : "assets"}`,
      identity.locked ? " · set by hand" : "",
    ),
    h(
      "ul",
      { class: "faces", "aria-label": `Faces of ${label}` },
      faces.map((face) =>
        h(
          "li",
          { class: "face", dataset: { assetId: face.id } },
          h("img", {
            src: withToken(`/api/assets/${face.id}/thumbnail?size=128`),
            alt: `${face.manifest_tag ?? "Untagged face"}, ${face.name}`,
            loading: "lazy",
          }),
          h("span", { class: "tag-chip" }, face.manifest_tag ?? "untagged"),
        )
      ),
    ),
    h(
      "div",
      { class: "controls" },
      others.length ? merge : null,
      faces.length > 0 && (others.length > 0 || faces.length > 1) ? move : null,
    ),
  );
}

/**
 * @param {Identity} identity
 * @param {Map<string, string>} labels
 * @param {Map<string | null, Asset>} byId
 */
function personName(identity, labels, byId) {
  const primary = byId.get(identity.primary_asset_id);
  return `${labels.get(identity.id)}${primary?.manifest_tag ? ` (${primary.manifest_tag})` : ""}`;
}

/** @param {Asset} asset */
function describe(asset) {
  return asset.manifest_tag ? `${asset.manifest_tag}, ${asset.name}` : asset.name;
}
