/**
 * The people recognised in a manifest as a compact grid: each person's best face, name and
 * counts. A person is renamed in place; several are merged by selecting them (or by dragging
 * one onto another) in one request. Moving or splitting one face is done from the face's
 * detail panel. Hand-made changes lock the identities, so reprocessing keeps them.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { errorText, h, replace } from "./dom.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 */

/** People shown before "Show all". */
const FIRST_SHOWN = 30;

/**
 * Each identity's label: its name, else "Person 2" in the order the server lists them
 * (oldest first).
 * @param {Identity[]} identities
 * @returns {Map<string, string>}
 */
export function identityLabels(identities) {
  return new Map(
    identities.map((identity, i) => [identity.id, identity.name ?? `Person ${i + 1}`]),
  );
}

/**
 * @typedef {object} PeopleOptions
 * @property {string} manifestId
 * @property {() => boolean} locked a job runs: changes would be refused
 * @property {() => void} onChanged people changed (the page reloads)
 * @property {(identityId: string) => void} onShowPerson show this person's assets in the grid
 */

/**
 * Builds the section; `update` redraws it from the latest data.
 * @param {PeopleOptions} options
 */
export function createPeople(options) {
  /** @type {Identity[]} */
  let identities = [];
  /** @type {Asset[]} */
  let assets = [];
  /** @type {Map<string, string>} */
  let labels = new Map();
  /** @type {Set<string>} */
  const selected = new Set();
  let showAll = false;
  /** The identity being renamed, if any. */
  /** @type {string | null} */
  let renaming = null;
  /** The identity being dragged onto another. */
  /** @type {string | null} */
  let dragging = null;

  const heading = h("h2", { id: "people-title" });
  const lockNote = h(
    "p",
    { class: "note", hidden: true },
    "Changes are possible once processing ends.",
  );
  // Focusable so that the keyboard can land on the outcome once the controls it used are gone.
  const status = h("p", { class: "small", role: "status", tabindex: "-1" });
  const mergeInto = /** @type {HTMLSelectElement} */ (h("select", { id: "merge-into" }));
  const mergeButton = /** @type {HTMLButtonElement} */ (h("button", {
    type: "submit",
    class: "small primary",
  }, "Merge"));
  const mergeCount = h("strong");
  const mergeBar = h(
    "form",
    {
      class: "merge-bar row wrap",
      hidden: true,
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        merge([...selected], mergeInto.value);
      },
    },
    mergeCount,
    h("label", { for: "merge-into" }, "Merge them into"),
    mergeInto,
    mergeButton,
    h("button", {
      type: "button",
      class: "small",
      onclick: () => {
        selected.clear();
        draw();
      },
    }, "Clear"),
  );
  const grid = h("ul", { class: "people-grid", "aria-labelledby": "people-title" });
  const more = h("button", {
    type: "button",
    class: "small",
    onclick: () => {
      showAll = !showAll;
      draw();
    },
  });
  const empty = h(
    "p",
    { class: "empty", hidden: true },
    "No faces recognised yet. Processing finds faces and groups those of the same person.",
  );
  const element = h(
    "section",
    { class: "panel people", "aria-labelledby": "people-title" },
    h(
      "div",
      { class: "row between wrap" },
      heading,
      h(
        "p",
        { class: "muted small" },
        "Select two or more to merge them, or drag one onto another.",
      ),
    ),
    lockNote,
    status,
    mergeBar,
    grid,
    empty,
    more,
  );

  /**
   * @param {string} text
   * @param {boolean} [isError]
   */
  function report(text, isError = false) {
    status.textContent = text;
    status.className = `small ${isError ? "error-text" : "ok"}`;
  }

  /**
   * Merges `ids` into `into` in one request.
   * @param {string[]} ids
   * @param {string} into
   */
  async function merge(ids, into) {
    const from = ids.filter((id) => id !== into);
    if (from.length === 0) return;
    const names = from.map((id) => labels.get(id)).join(", ");
    report(`Merging ${names}…`);
    mergeButton.disabled = true;
    try {
      await api(`/manifests/${options.manifestId}/identities/merge`, {
        method: "POST",
        body: { identity_ids: from, into },
      });
      selected.clear();
      report(`${names} merged into ${labels.get(into)}.`);
      status.focus();
      options.onChanged();
    } catch (error) {
      report(errorText(error), true);
    } finally {
      mergeButton.disabled = false;
    }
  }

  /**
   * @param {Identity} identity
   * @param {string} name
   */
  async function rename(identity, name) {
    const before = /** @type {string} */ (labels.get(identity.id));
    try {
      await api(`/identities/${identity.id}`, {
        method: "PUT",
        body: { name: name.trim() || null },
      });
      renaming = null;
      report(
        name.trim() ? `${before} is now called ${name.trim()}.` : `${before} has no name now.`,
      );
      options.onChanged();
    } catch (error) {
      report(errorText(error), true);
    }
  }

  /**
   * The face that shows a person best: their best-scored face crop, else their primary asset.
   * @param {Identity} identity
   * @param {Map<string, Asset[]>} facesOf
   */
  function bestFace(identity, facesOf) {
    const faces = facesOf.get(identity.id) ?? [];
    let best = faces[0];
    for (const face of faces) {
      if ((face.quality_score ?? -1) > (best.quality_score ?? -1)) best = face;
    }
    return best ?? assets.find((a) => a.id === identity.primary_asset_id);
  }

  /**
   * @param {Identity} identity
   * @param {Map<string, Asset[]>} facesOf
   * @param {boolean} locked
   */
  function card(identity, facesOf, locked) {
    const label = /** @type {string} */ (labels.get(identity.id));
    const face = bestFace(identity, facesOf);
    const faces = facesOf.get(identity.id)?.length ?? 0;
    const isRenaming = renaming === identity.id;
    const nameInput = /** @type {HTMLInputElement} */ (h("input", {
      value: identity.name ?? "",
      placeholder: label,
      maxlength: 100,
      "aria-label": `Name of ${label}`,
      dataset: { focusKey: `name-${identity.id}` },
      onkeydown: (/** @type {KeyboardEvent} */ event) => {
        if (event.key !== "Escape") return;
        event.preventDefault();
        renaming = null;
        draw();
        focusKey(`rename-${identity.id}`);
      },
    }));
    const name = isRenaming
      ? h(
        "form",
        {
          class: "rename row",
          onsubmit: (/** @type {SubmitEvent} */ event) => {
            event.preventDefault();
            rename(identity, nameInput.value);
          },
        },
        nameInput,
        h("button", { type: "submit", class: "small primary" }, "Save"),
      )
      : h("button", {
        type: "button",
        class: "link person-name",
        title: `Show the assets of ${label}`,
        // Starts with the name shown, so a person saying what they see still reaches it.
        "aria-label": `${label}: show their assets`,
        dataset: { focusKey: `show-${identity.id}` },
        onclick: () => options.onShowPerson(identity.id),
      }, label);
    return h(
      "li",
      {
        class: `person${selected.has(identity.id) ? " selected" : ""}`,
        draggable: locked || isRenaming ? null : "true",
        dataset: { identityId: identity.id },
        ondragstart: (/** @type {DragEvent} */ event) => {
          dragging = identity.id;
          event.dataTransfer?.setData("text/plain", label);
        },
        ondragend: () => {
          dragging = null;
          for (const li of grid.querySelectorAll(".drop-target")) {
            li.classList.remove("drop-target");
          }
        },
        ondragover: (/** @type {DragEvent} */ event) => {
          if (!dragging || dragging === identity.id) return;
          event.preventDefault(); // Accept the drop.
          /** @type {HTMLElement} */ (event.currentTarget).classList.add("drop-target");
        },
        ondragleave: (/** @type {DragEvent} */ event) =>
          /** @type {HTMLElement} */ (event.currentTarget).classList.remove("drop-target"),
        ondrop: (/** @type {DragEvent} */ event) => {
          event.preventDefault();
          const from = dragging;
          dragging = null;
          if (from && from !== identity.id) merge([from], identity.id);
        },
      },
      h("input", {
        type: "checkbox",
        checked: selected.has(identity.id),
        disabled: locked,
        "aria-label": `Select ${label} to merge`,
        dataset: { focusKey: `select-${identity.id}` },
        onchange: (/** @type {Event} */ event) => {
          if (/** @type {HTMLInputElement} */ (event.target).checked) selected.add(identity.id);
          else selected.delete(identity.id);
          draw();
        },
      }),
      face?.thumbnail_url
        ? h("img", {
          // The tiles' own size: one cached thumbnail serves both.
          src: withToken(face.thumbnail_url),
          alt: "",
          width: 256,
          height: 256,
          decoding: "async",
        })
        : h("span", { class: "person-face placeholder" }),
      h(
        "div",
        { class: "person-text" },
        name,
        h(
          "span",
          { class: "muted small person-counts" },
          `${faces} ${faces === 1 ? "face" : "faces"} · ${identity.member_count} ${
            identity.member_count === 1 ? "asset" : "assets"
          }`,
        ),
        isRenaming ? null : h(
          "span",
          { class: "small person-more" },
          h("button", {
            type: "button",
            class: "link",
            disabled: locked,
            "aria-label": `Rename ${label}`,
            dataset: { focusKey: `rename-${identity.id}` },
            onclick: () => {
              renaming = identity.id;
              draw();
              focusKey(`name-${identity.id}`);
            },
          }, "Rename"),
          identity.locked ? h("span", { class: "muted" }, " · set by hand") : null,
        ),
      ),
    );
  }

  /** @param {string} key */
  function focusKey(key) {
    /** @type {HTMLElement | null} */ (
      grid.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)
    )?.focus();
  }

  function draw() {
    const locked = options.locked();
    const focused = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.focusKey;
    const inGrid = grid.contains(document.activeElement);
    /** @type {Map<string, Asset[]>} */
    const facesOf = new Map();
    for (const asset of assets) {
      if (!asset.identity_id || !asset.is_face_crop) continue;
      const list = facesOf.get(asset.identity_id) ?? [];
      list.push(asset);
      facesOf.set(asset.identity_id, list);
    }
    for (const id of [...selected]) if (!labels.has(id)) selected.delete(id);
    heading.textContent = `People (${identities.length})`;
    lockNote.hidden = !locked;
    const shown = showAll ? identities : identities.slice(0, FIRST_SHOWN);
    replace(grid, shown.map((identity) => card(identity, facesOf, locked)));
    empty.hidden = identities.length > 0;
    more.hidden = identities.length <= FIRST_SHOWN;
    more.textContent = showAll ? "Show fewer" : `Show all ${identities.length} people`;
    const chosen = identities.filter((i) => selected.has(i.id));
    mergeBar.hidden = chosen.length < 2;
    mergeCount.textContent = `${chosen.length} selected.`;
    const keep = chosen.some((i) => i.id === mergeInto.value) ? mergeInto.value : chosen[0]?.id;
    replace(mergeInto, chosen.map((i) => h("option", { value: i.id }, labels.get(i.id))));
    if (keep) mergeInto.value = keep;
    mergeButton.disabled = locked;
    if (focused && inGrid) focusKey(focused);
  }

  return {
    element,
    /**
     * @param {Identity[]} nextIdentities
     * @param {Asset[]} nextAssets
     */
    update(nextIdentities, nextAssets) {
      identities = nextIdentities;
      assets = nextAssets;
      labels = identityLabels(identities);
      if (renaming && !labels.has(renaming)) renaming = null;
      draw();
    },
    draw,
  };
}
