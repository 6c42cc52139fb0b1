/**
 * The one detail panel of an asset (a modal dialog): its image with its box drawn on the
 * photo it was cut from, what was detected and described, its person, and the editors of
 * name, type, tags, prompt and descriptions (saved while typing pauses), with Reprocess and
 * Delete. ← and → walk through the assets in the grid's current order; Esc closes and gives
 * the focus back to the asset's tile.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { autosave, parseTags } from "./autosave.js";
import { renderUsage } from "./asset_usage.js";
import { confirmDialog, errorText, h, qualityBadge, replace, toast } from "./dom.js";
import { photoWithBoxes } from "./photo_boxes.js";
import { ASSET_TYPES } from "./vocabulary.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 */

/**
 * @typedef {object} DetailContext
 * @property {(id: string) => Asset | undefined} asset
 * @property {() => Asset[]} all every asset of the manifest
 * @property {() => Asset[]} order the assets the grid shows, in order
 * @property {() => Identity[]} identities
 * @property {() => Map<string, string>} labels "Person 2" (or the name) per identity id
 * @property {() => boolean} locked a job runs: changes would be refused
 * @property {(asset: Asset, retagged: boolean) => void} onSaved
 * @property {(assetId: string) => void} onDeleted it was deleted with its crops
 * @property {() => void} onChanged something the panel did needs a reload (reprocess, move)
 * @property {(asset: Asset | null) => void} onShow the asset shown (null: the panel closed)
 * @property {(identityId: string) => void} onShowPerson filter the grid by this person
 */

/**
 * The fields a person edits in the panel (`PUT /assets/{id}` accepts them).
 * @typedef {"name" | "asset_type" | "user_tags" | "reverse_prompt" | "visual_description" |
 *   "description"} EditableField
 */

/**
 * Builds the panel (appended to `document.body`); `show` opens it on an asset.
 * @param {DetailContext} ctx
 */
export function createAssetDetail(ctx) {
  /** @type {Asset | null} */
  let current = null;
  let disposed = false;
  /** @type {ReturnType<typeof autosave> | null} */
  let saver = null;
  /** @type {Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>} */
  let fields = new Map();
  /** Fields typed in since they were last saved: a reload must not overwrite them. */
  const dirty = new Set();

  const title = h("h2", { id: "detail-title", tabindex: "-1" });
  const position = h("span", { class: "muted small", role: "status" });
  const previous = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    "aria-keyshortcuts": "ArrowLeft",
    onclick: () => step(-1),
  }, "← Previous"));
  const next = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    "aria-keyshortcuts": "ArrowRight",
    onclick: () => step(1),
  }, "Next →"));
  const closeButton = h("button", {
    type: "button",
    class: "small",
    "aria-keyshortcuts": "Escape",
    onclick: () => dialog.close(),
  }, "Close");
  const media = h("div", { class: "detail-media" });
  const facts = h("div", { class: "detail-facts" });
  const person = h("div", { class: "detail-person" });
  const usageSlot = h("div");
  const form = h("form", {
    class: "detail-edit",
    onsubmit: (/** @type {Event} */ e) => e.preventDefault(),
  });
  const saveStatus = h("span", { class: "save-status small", role: "status" });
  const actionStatus = h("p", { class: "small", role: "status" });
  const lockNote = h(
    "p",
    { class: "note", hidden: true },
    "Changes are possible once processing ends.",
  );
  const reprocess = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    onclick: () => runReprocess(),
  }, "Reprocess"));
  const remove = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "danger-outline",
    onclick: () => runDelete(),
  }, "Delete"));

  const dialog = /** @type {HTMLDialogElement} */ (h(
    "dialog",
    {
      id: "asset-detail",
      class: "dialog detail",
      "aria-labelledby": "detail-title",
      onkeydown: (/** @type {KeyboardEvent} */ event) => onKey(event),
      onclose: () => {
        saver?.flush();
        if (disposed) return; // The page is being left: its address and tiles are gone.
        const shown = current;
        current = null;
        ctx.onShow(null);
        if (shown) returnFocus(shown);
      },
    },
    h(
      "div",
      { class: "detail-head" },
      title,
      position,
      h("div", { class: "row" }, previous, next, closeButton),
    ),
    lockNote,
    h(
      "div",
      { class: "detail-body" },
      media,
      h(
        "div",
        { class: "detail-info" },
        facts,
        person,
        usageSlot,
        form,
        h(
          "div",
          { class: "row between detail-actions" },
          saveStatus,
          h("span", { class: "row" }, reprocess, remove),
        ),
        actionStatus,
      ),
    ),
  ));
  document.body.appendChild(dialog);

  /** @type {HTMLElement | null} */
  let opener = null;

  /**
   * Opens the panel on `asset` (or shows it in the open panel).
   * @param {Asset} asset
   */
  function show(asset) {
    saver?.flush();
    const same = current?.id === asset.id;
    current = asset;
    if (!same) {
      buildForm(asset);
      say("");
      // Asked once per asset shown, not on every redraw.
      replace(usageSlot, renderUsage(asset));
    }
    refresh();
    if (!dialog.open) {
      opener = /** @type {HTMLElement | null} */ (document.activeElement);
      dialog.showModal();
      title.focus();
    }
    ctx.onShow(asset);
  }

  /** Draws everything but the form again from the latest data, and syncs the form. */
  function refresh() {
    if (!current) return;
    const asset = ctx.asset(current.id);
    if (!asset) {
      // Deleted meanwhile (another tab, a bulk delete): nothing left to show.
      dialog.close();
      return;
    }
    current = asset;
    const locked = ctx.locked();
    replace(
      title,
      asset.manifest_tag
        ? h("span", { class: "tag-chip", dataset: { tag: asset.manifest_tag } }, asset.manifest_tag)
        : h("span", { class: "tag-chip pending" }, "untagged"),
      " ",
      asset.name,
    );
    dialog.dataset.tag = asset.manifest_tag ?? "";
    dialog.dataset.assetId = asset.id;
    const order = ctx.order();
    const at = order.findIndex((a) => a.id === asset.id);
    position.textContent = at >= 0
      ? `${at + 1} of ${order.length}`
      : "Not among the assets the filters show";
    previous.disabled = at <= 0;
    next.disabled = at < 0 || at >= order.length - 1;
    replace(media, mediaOf(asset));
    replace(facts, factsOf(asset));
    replace(person, personOf(asset, locked));
    lockNote.hidden = !locked;
    for (const [key, control] of fields) {
      control.disabled = locked;
      if (!dirty.has(key) && document.activeElement !== control) setValue(key, control, asset);
    }
    reprocess.disabled = locked || !asset.reference_image_url;
    reprocess.setAttribute("aria-label", `Reprocess ${asset.manifest_tag ?? asset.name}`);
    remove.disabled = locked;
    remove.setAttribute("aria-label", `Delete ${asset.manifest_tag ?? asset.name}`);
  }

  /**
   * @param {string} key
   * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
   * @param {Asset} asset
   */
  function setValue(key, control, asset) {
    const value = asset[/** @type {keyof Asset} */ (key)];
    control.value = Array.isArray(value) ? value.join(", ") : String(value ?? "");
  }

  /** @param {Asset} asset */
  function buildForm(asset) {
    dirty.clear();
    const id = asset.id;
    /** @param {Record<string, unknown>} patch @param {boolean} [force] */
    const put = async (patch, force = false) => {
      const saved = /** @type {Asset} */ (
        await api(`/assets/${id}${force ? "?force=true" : ""}`, { method: "PUT", body: patch })
      );
      for (const key of Object.keys(patch)) dirty.delete(key);
      const before = ctx.asset(id);
      ctx.onSaved(saved, saved.manifest_tag !== before?.manifest_tag);
      if (current?.id === id) refresh();
    };
    saver = autosave(async (patch) => {
      try {
        await put(patch);
      } catch (error) {
        // A storyboard names this asset by its tag, which a new type would retire: the
        // refusal says where (the save status shows it); going ahead is the person's call.
        if (/** @type {{ code?: string }} */ (error).code === "asset_in_use" && patch.asset_type) {
          say(
            "",
            false,
            "Change the type anyway",
            () => put({ asset_type: patch.asset_type }, true),
          );
        }
        throw error;
      }
    }, saveStatus);
    const save = /** @type {NonNullable<typeof saver>} */ (saver);
    saveStatus.textContent = "";
    fields = new Map();
    /**
     * @param {EditableField} key
     * @param {string} label
     * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
     * @param {(control: any) => unknown} read the value to save
     */
    const field = (key, label, control, read) => {
      control.id = `detail-${key}`;
      fields.set(key, control);
      setValue(key, control, asset);
      const change = () => {
        dirty.add(key);
        save.change(key, read(control));
      };
      control.addEventListener(control.tagName === "SELECT" ? "change" : "input", change);
      control.addEventListener("blur", () => save.flush());
      return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
    };
    /** @param {HTMLInputElement | HTMLTextAreaElement} c */
    const text = (c) => c.value.trim() || null;
    replace(
      form,
      h("h3", null, "Edit"),
      h(
        "div",
        { class: "form-pair" },
        field(
          "name",
          "Name",
          /** @type {HTMLInputElement} */ (h("input", { maxlength: 200, required: true })),
          // An empty name is refused by the API; the last one typed stays until then.
          (c) => c.value.trim() || asset.name,
        ),
        // Saved after the pause like the rest: arrow keys on a closed list fire change for
        // every type passed, and each saved type takes a new tag number for good.
        field(
          "asset_type",
          "Type",
          /** @type {HTMLSelectElement} */ (h(
            "select",
            null,
            ASSET_TYPES.map((t) => h("option", { value: t }, t)),
          )),
          (c) => c.value,
        ),
      ),
      field(
        "user_tags",
        "Tags",
        /** @type {HTMLInputElement} */ (h("input", { placeholder: "e.g. lead, red coat" })),
        (c) => parseTags(c.value),
      ),
      field(
        "reverse_prompt",
        "Reverse prompt",
        /** @type {HTMLTextAreaElement} */ (h("textarea", { rows: 4, maxlength: 10000 })),
        text,
      ),
      field(
        "visual_description",
        "Visual description",
        /** @type {HTMLTextAreaElement} */ (h("textarea", { rows: 3, maxlength: 10000 })),
        text,
      ),
      field(
        "description",
        "Notes",
        /** @type {HTMLTextAreaElement} */ (h("textarea", {
          rows: 2,
          maxlength: 5000,
          placeholder: "Anything the team should know about this reference",
        })),
        text,
      ),
    );
  }

  /** @param {Asset} asset */
  function mediaOf(asset) {
    if (!asset.thumbnail_url) return h("p", { class: "empty" }, "This asset has no image yet.");
    const root = rootOf(asset);
    const full = h("a", {
      href: withToken(/** @type {string} */ (asset.reference_image_url)),
      target: "_blank",
      rel: "noopener",
    }, "Open the full image");
    if (asset.source === "uploaded") {
      const crops = ctx.all().filter((a) => a.id !== asset.id && rootOf(a).id === asset.id);
      return [photoWithBoxes(asset, crops, { onPick: (crop) => show(crop) }), full];
    }
    return [
      h(
        "div",
        { class: "crop-view" },
        h("img", {
          src: withToken(`/api/assets/${asset.id}/thumbnail?size=512`),
          alt: asset.visual_description ?? asset.name,
        }),
      ),
      root.id !== asset.id && root.thumbnail_url
        ? [
          photoWithBoxes(root, [asset], { current: asset.id }),
          h(
            "p",
            { class: "small" },
            "Cut from ",
            h("button", {
              type: "button",
              class: "link",
              onclick: () => show(root),
            }, root.manifest_tag ? `${root.name} (${root.manifest_tag})` : root.name),
            ". ",
            full,
          ),
        ]
        : full,
    ];
  }

  /** @param {Asset} asset */
  function factsOf(asset) {
    const role = asset.source === "uploaded" ? "upload" : asset.extraction_role ?? "crop";
    /** @type {[string, unknown][]} */
    const rows = [
      ["Type", asset.asset_type],
      ["Role", role],
      ["Quality", qualityBadge(asset.quality_score) ?? "not scored yet"],
      [
        "Detection",
        asset.detection_class
          ? `${asset.detection_class} ${Math.round((asset.detection_confidence ?? 0) * 100)}%`
          : null,
      ],
      ["Size", asset.width ? `${asset.width} × ${asset.height} px` : null],
      ["Described by", asset.provider],
      ["Suggested name", asset.suggested_name],
    ];
    return [
      h(
        "dl",
        { class: "facts" },
        rows.filter(([, value]) => value !== null && value !== undefined).map(([term, value]) =>
          h("div", null, h("dt", null, term), h("dd", null, value))
        ),
      ),
      asset.prompt_error
        ? h("p", { class: "error-text small" }, `Not described: ${asset.prompt_error}`)
        : null,
    ];
  }

  /**
   * The person the asset shows, and for a face, moving it to another person or to a new one.
   * @param {Asset} asset
   * @param {boolean} locked
   */
  function personOf(asset, locked) {
    const labels = ctx.labels();
    const label = asset.identity_id ? labels.get(asset.identity_id) ?? "a person" : null;
    const showAll = asset.identity_id
      ? h("button", {
        type: "button",
        class: "link",
        onclick: () => {
          dialog.close();
          ctx.onShowPerson(/** @type {string} */ (asset.identity_id));
        },
      }, `Show every asset of ${label}`)
      : null;
    if (!asset.is_face_crop) {
      return label ? h("p", { class: "small" }, `Person: ${label}. `, showAll) : null;
    }
    const others = ctx.identities().filter((i) => i.id !== asset.identity_id);
    const alone = asset.identity_id
      ? ctx.all().filter((a) => a.identity_id === asset.identity_id && a.is_face_crop).length <= 1
      : true;
    const target = /** @type {HTMLSelectElement} */ (h(
      "select",
      { id: "detail-move-to", disabled: locked },
      others.map((i) => h("option", { value: i.id }, labels.get(i.id) ?? "a person")),
      alone ? null : h("option", { value: "" }, "a new person (split)"),
    ));
    const move = h(
      "form",
      {
        class: "row wrap",
        onsubmit: async (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          const to = target.value || null;
          const where = to ? labels.get(to) : "a new person";
          say(`Moving ${asset.manifest_tag ?? "the face"}…`);
          try {
            await api(`/assets/${asset.id}/identity`, {
              method: "POST",
              body: { identity_id: to },
            });
            say(`${asset.manifest_tag ?? "The face"} moved to ${where}.`);
            ctx.onChanged();
          } catch (error) {
            say(errorText(error), true);
          }
        },
      },
      h("label", { for: "detail-move-to" }, "Move this face to"),
      target,
      h("button", { type: "submit", class: "small", disabled: locked }, "Move"),
    );
    return h(
      "div",
      { class: "stack" },
      h("p", { class: "small" }, label ? `Person: ${label}. ` : "No person yet. ", showAll),
      others.length > 0 || !alone ? move : null,
    );
  }

  /** @param {Asset} asset */
  function rootOf(asset) {
    /** @type {Asset | undefined} */
    let node = asset;
    for (let i = 0; i < 10 && node?.source_asset_id; i++) {
      node = ctx.asset(node.source_asset_id);
    }
    return node ?? asset;
  }

  /** @param {number} delta */
  function step(delta) {
    if (!current) return;
    const order = ctx.order();
    const at = order.findIndex((a) => a.id === current?.id);
    const to = order[at + delta];
    if (at >= 0 && to) show(to);
  }

  /** @param {KeyboardEvent} event */
  function onKey(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    // Arrow keys belong to the field being edited.
    if (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      step(event.key === "ArrowLeft" ? -1 : 1);
    }
  }

  async function runReprocess() {
    const asset = current;
    if (!asset) return;
    const label = asset.manifest_tag ?? asset.name;
    reprocess.disabled = true;
    say("Reprocessing…");
    try {
      const result = /** @type {Asset | import("./api.js").ReprocessQueued} */ (
        await api(`/assets/${asset.id}/reprocess`, { method: "POST" })
      );
      // 200 is the updated asset; 202 means the job waits for a worker: progress shows it.
      const done = result && "manifest_id" in result;
      say(done ? "Reprocessed" : "Queued; see Processing on the page");
      toast(done ? `${label} was reprocessed.` : `${label} is queued for reprocessing.`);
    } catch (error) {
      say(errorText(error), true);
    } finally {
      reprocess.disabled = false;
    }
    ctx.onChanged();
  }

  async function runDelete() {
    const asset = current;
    if (!asset) return;
    const label = asset.manifest_tag ?? asset.name;
    const crops = ctx.all().filter((a) => a.source_asset_id === asset.id).length;
    const also = crops ? ` and the ${crops} ${crops === 1 ? "crop" : "crops"} cut from it` : "";
    if (!await confirmDialog(`Delete ${label} “${asset.name}”${also}?`)) return;
    const order = ctx.order();
    const at = order.findIndex((a) => a.id === asset.id);
    const after = order.slice(at + 1).find((a) => a.source_asset_id !== asset.id) ??
      order[at - 1];
    /** @param {boolean} force */
    const remove = async (force) => {
      await api(`/assets/${asset.id}${force ? "?force=true" : ""}`, { method: "DELETE" });
      toast(`${label} was deleted.`);
      ctx.onDeleted(asset.id);
      if (after && ctx.asset(after.id)) show(after);
      else dialog.close();
    };
    try {
      await remove(false);
    } catch (error) {
      const inUse = /** @type {{ code?: string }} */ (error).code === "asset_in_use";
      say(
        `Not deleted: ${errorText(error)}`,
        true,
        inUse ? "Delete anyway" : null,
        () => remove(true),
      );
    }
  }

  /**
   * Says how the last action went, with a button to go ahead when the server asks whether to.
   * @param {string} text
   * @param {boolean} [isError]
   * @param {string | null} [retryLabel]
   * @param {() => Promise<void>} [retry]
   */
  function say(text, isError = false, retryLabel = null, retry = async () => {}) {
    actionStatus.className = `small ${isError ? "error-text" : "ok"}`;
    replace(
      actionStatus,
      text,
      retryLabel
        ? [
          " ",
          h("button", {
            type: "button",
            class: "small danger-outline",
            onclick: () =>
              retry().then(
                () => say(""),
                (error) => say(errorText(error), true),
              ),
          }, retryLabel),
        ]
        : null,
    );
  }

  /** @param {Asset} shown */
  function returnFocus(shown) {
    const tile = /** @type {HTMLElement | null} */ (
      document.querySelector(`.tile[data-asset-id="${CSS.escape(shown.id)}"] .tile-open`)
    );
    const back = tile ?? (opener?.isConnected ? opener : null);
    back?.focus();
  }

  return {
    element: dialog,
    show,
    refresh,
    /** The asset shown, or null when closed. */
    current: () => (dialog.open ? current : null),
    /** Closes the panel (its pending edit is saved). */
    close: () => dialog.open && dialog.close(),
    /** Removes the panel from the document. */
    dispose() {
      disposed = true;
      saver?.flush();
      current = null;
      if (dialog.open) dialog.close();
      dialog.remove();
    },
  };
}
