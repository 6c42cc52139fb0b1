/**
 * Bulk actions on the assets selected in the grid: change their type, delete them, merge
 * the people they show. Each action is one request (`POST /manifests/{id}/assets/bulk`,
 * `POST /manifests/{id}/identities/merge`), which the server applies all or nothing.
 *
 * @module
 */
import { api } from "./api.js";
import { confirmDialog, errorText, h, replace } from "./dom.js";
import { ASSET_TYPES } from "./vocabulary.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{ items: Asset[], deleted_ids: string[] }} BulkResult
 */

/**
 * @typedef {object} BulkContext
 * @property {string} manifestId
 * @property {Set<string>} selected the page's selection (the bar reads and clears it)
 * @property {() => Asset[]} shown the assets the filters show, in order
 * @property {() => Asset[]} onPage the assets of the page shown
 * @property {(id: string) => Asset | undefined} asset
 * @property {() => boolean} locked a job runs: changes would be refused
 * @property {() => void} onSelection the selection changed
 * @property {(result: BulkResult) => void} onAssets assets were changed or deleted
 * @property {() => void} onPeople people were merged (the page reloads)
 */

/**
 * Builds the bar; call `update` after the selection or the data changed.
 * @param {BulkContext} ctx
 */
export function createBulkBar(ctx) {
  const count = h("strong", { class: "bulk-count" });
  // Focused after an action, whose buttons then hide: the keyboard stays here and a screen
  // reader reads the outcome.
  const status = h("p", { class: "small bulk-status", role: "status", tabindex: "-1" });
  /**
   * @param {string} text
   * @param {boolean} [isError]
   * @param {HTMLElement | null} [button] e.g. to go ahead when the server asks whether to
   */
  const report = (text, isError = false, button = null) => {
    replace(status, text, button ? [" ", button] : null);
    status.className = `small bulk-status ${isError ? "error-text" : "ok"}`;
  };

  /** @param {Asset[]} assets */
  const select = (assets) => {
    for (const asset of assets) ctx.selected.add(asset.id);
    ctx.onSelection();
  };
  const selectPage = h("button", {
    type: "button",
    class: "small",
    onclick: () => select(ctx.onPage()),
  }, "Select page");
  const selectAll = h("button", {
    type: "button",
    class: "small",
    onclick: () => select(ctx.shown()),
  }, "Select all shown");
  const clear = h("button", {
    type: "button",
    class: "small",
    onclick: () => {
      ctx.selected.clear();
      ctx.onSelection();
    },
  }, "Clear selection");

  // Its options are the API's types, filled on the first update (the page may be built
  // while they are still being read).
  const typeSelect = /** @type {HTMLSelectElement} */ (h("select", { id: "bulk-type" }));
  const setType = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    onclick: () => run(setType, "set_type"),
  }, "Change type"));
  const remove = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small danger-outline",
    onclick: () => run(remove, "delete"),
  }, "Delete"));
  const merge = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    onclick: () => mergePeople(),
  }, "Merge their people"));
  const actions = h(
    "div",
    { class: "row wrap bulk-actions" },
    h("label", { for: "bulk-type" }, "Type"),
    typeSelect,
    setType,
    remove,
    merge,
  );

  /** The selected assets that still exist, in the order shown. */
  const chosen = () => [...ctx.selected].map((id) => ctx.asset(id)).filter((a) => a !== undefined);

  /**
   * @param {HTMLButtonElement} button
   * @param {"set_type" | "delete"} action
   * @param {boolean} [force] go ahead even where a storyboard uses an asset
   */
  async function run(button, action, force = false) {
    const assets = chosen();
    if (assets.length === 0) return;
    const n = `${assets.length} ${assets.length === 1 ? "asset" : "assets"}`;
    if (action === "delete" && !force) {
      const crops = "Crops cut from them are deleted too.";
      if (!await confirmDialog(`Delete ${n}? ${crops}`, `Delete ${n}`)) return;
    }
    const type = typeSelect.value;
    report(action === "delete" ? `Deleting ${n}…` : `Changing ${n} to ${type}…`);
    button.disabled = true;
    try {
      const path = `/manifests/${ctx.manifestId}/assets/bulk${force ? "?force=true" : ""}`;
      const result = /** @type {BulkResult} */ (await api(path, {
        method: "POST",
        body: {
          action,
          asset_ids: assets.map((a) => a.id),
          ...(action === "set_type" && { asset_type: type }),
        },
      }));
      ctx.selected.clear();
      ctx.onAssets(result);
      report(
        action === "delete"
          ? `Deleted ${result.deleted_ids.length} ${
            result.deleted_ids.length === 1 ? "asset" : "assets"
          } (crops included).`
          : `${n} are now ${type}; new tags were given where the type changed.`,
      );
    } catch (error) {
      // A storyboard uses one of them: the server says which; going ahead is the person's call.
      const inUse = /** @type {{ code?: string }} */ (error).code === "asset_in_use";
      report(
        `Nothing was changed: ${errorText(error)}`,
        true,
        inUse
          ? h("button", {
            type: "button",
            class: "small danger-outline",
            onclick: () => run(button, action, true),
          }, action === "delete" ? `Delete all ${n} anyway` : `Change all ${n} anyway`)
          : null,
      );
    } finally {
      button.disabled = false;
      status.focus();
    }
  }

  async function mergePeople() {
    const ids = [...new Set(chosen().map((a) => a.identity_id).filter((id) => id !== null))];
    if (ids.length < 2) return;
    report(`Merging ${ids.length} people…`);
    merge.disabled = true;
    try {
      await api(`/manifests/${ctx.manifestId}/identities/merge`, {
        method: "POST",
        body: { identity_ids: ids },
      });
      ctx.selected.clear();
      report(`${ids.length} people were merged into one.`);
      ctx.onPeople();
    } catch (error) {
      report(`Nothing was changed: ${errorText(error)}`, true);
    } finally {
      merge.disabled = false;
      status.focus();
    }
  }

  const element = h(
    "div",
    { class: "bulk-bar", role: "toolbar", "aria-label": "Selection" },
    h("div", { class: "row wrap" }, count, selectPage, selectAll, clear),
    actions,
    status,
  );

  return {
    element,
    update() {
      if (typeSelect.options.length !== ASSET_TYPES.length) {
        typeSelect.replaceChildren(...ASSET_TYPES.map((t) => h("option", { value: t }, t)));
      }
      const assets = chosen();
      const n = assets.length;
      count.textContent = n ? `${n} selected` : "None selected";
      clear.hidden = n === 0;
      actions.hidden = n === 0;
      const locked = ctx.locked();
      const people = new Set(assets.map((a) => a.identity_id).filter((id) => id !== null)).size;
      merge.textContent = people >= 2 ? `Merge their ${people} people` : "Merge their people";
      setType.disabled = locked;
      remove.disabled = locked;
      merge.disabled = locked || people < 2;
      merge.title = people < 2 ? "Select assets of at least two people." : "";
      if (locked && n > 0) report("Changes are possible once processing ends.");
    },
  };
}
