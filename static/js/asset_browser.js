/**
 * The assets of a manifest as a paged grid of compact tiles, with search, filters, sort and
 * bulk selection. Filtering runs over the loaded JSON; only one page of tiles is DOM, so a
 * manifest of a thousand assets costs about as many elements as one of sixty.
 *
 * @module
 */
import { createFilterBar } from "./asset_filters.js";
import { facetCounts, indexAssets, isFiltered, runQuery } from "./asset_query.js";
import { assetTile } from "./asset_tiles.js";
import { createBulkBar } from "./bulk_bar.js";
import { h, replace } from "./dom.js";
import { createPager, PAGE_SIZES } from "./pager.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 * @typedef {import("./asset_query.js").Query} Query
 */

/**
 * @typedef {object} BrowserOptions
 * @property {string} manifestId
 * @property {Query} query the filters to start with (from the address)
 * @property {(asset: Asset) => void} onOpen a tile was opened
 * @property {(query: Query) => void} onQuery the filters changed (the page keeps them in the
 *   address)
 * @property {(result: import("./bulk_bar.js").BulkResult) => void} onAssets a bulk action
 *   changed or deleted assets
 * @property {() => void} onPeople a bulk action merged people
 * @property {() => boolean} locked a job runs
 */

/**
 * Builds the browser; give it data with `setData`.
 * @param {BrowserOptions} options
 */
export function createAssetBrowser(options) {
  /** @type {Query} */
  let query = { ...options.query };
  /** @type {Asset[]} */
  let assets = [];
  /** @type {Asset[]} the assets the filters let through, in order */
  let shown = [];
  let index = indexAssets([]);
  /** @type {Map<string, string>} */
  let labels = new Map();
  let page = 0;
  let size = PAGE_SIZES[0];
  /** @type {Set<string>} */
  const selected = new Set();
  /** The tiles on the grid, by what they show. */
  /** @type {Map<string, HTMLElement>} */
  let tiles = new Map();

  const filters = createFilterBar({ onChange: (change) => setQuery(change) });
  const bulk = createBulkBar({
    manifestId: options.manifestId,
    selected,
    shown: () => shown,
    onPage: () => pageItems(),
    asset: (id) => index.byId.get(id),
    locked: options.locked,
    onSelection: () => draw(),
    onAssets: options.onAssets,
    onPeople: options.onPeople,
  });
  const grid = h("ul", {
    class: "tiles",
    "aria-label": "Assets",
    onkeydown: (/** @type {KeyboardEvent} */ event) => moveFocus(event),
  });
  const empty = h("p", { class: "empty", hidden: true });
  const pager = createPager({
    label: "Asset pages",
    onChange: (next, perPage) => {
      page = next;
      size = perPage;
      draw();
      // The new page's first tile, so the keyboard goes on from where it is read.
      /** @type {HTMLElement | null} */ (grid.querySelector(".tile-open"))?.focus();
    },
  });

  const element = h(
    "div",
    { class: "asset-browser" },
    filters.element,
    bulk.element,
    grid,
    empty,
    pager.element,
  );

  /** @param {Partial<Query>} change */
  function setQuery(change) {
    query = { ...query, ...change };
    page = 0;
    refilter();
    draw();
    options.onQuery(query);
  }

  function refilter() {
    shown = runQuery(assets, query, index);
  }

  function pageItems() {
    return shown.slice(page * size, (page + 1) * size);
  }

  /** Redraws tiles, counts and bars, keeping the keyboard focus where it was. */
  function draw() {
    const pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(page, pages - 1);
    const focusKey = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset
      ?.focusKey;
    const inGrid = grid.contains(document.activeElement);
    const ctx = {
      selected,
      identityLabel: (/** @type {string} */ id) => labels.get(id) ?? null,
      onOpen: options.onOpen,
      onToggle: (/** @type {Asset} */ asset, /** @type {boolean} */ checked) => {
        if (checked) selected.add(asset.id);
        else selected.delete(asset.id);
        // The next draw keys the tile by its new state; this one only restyles it.
        bulk.update();
        grid.querySelector(`[data-asset-id="${CSS.escape(asset.id)}"]`)
          ?.classList.toggle("selected", checked);
      },
    };
    // A tile whose asset did not change is kept as it is: its image does not blink while
    // crops stream in.
    /** @type {Map<string, HTMLElement>} */
    const nextTiles = new Map();
    const items = pageItems().map((asset) => {
      const key = [
        asset.id,
        asset.updated_at,
        asset.manifest_tag,
        asset.quality_score,
        selected.has(asset.id),
        asset.identity_id && labels.get(asset.identity_id),
      ].join("|");
      const tile = tiles.get(key) ?? assetTile(asset, ctx);
      nextTiles.set(key, tile);
      return tile;
    });
    tiles = nextTiles;
    if (
      items.length !== grid.children.length || items.some((tile, i) => grid.children[i] !== tile)
    ) {
      replace(grid, items);
    }
    empty.hidden = shown.length > 0;
    empty.textContent = assets.length === 0
      ? "No assets yet. Add photos above, then press Process to find the people and objects in them."
      : "No asset matches. Change the search or clear the filters.";
    pager.element.hidden = shown.length <= PAGE_SIZES[0];
    pager.update(page, pages, size);
    filters.update(query, facetCounts(assets, query, index), choices(), {
      shown: shown.length,
      total: assets.length,
      filtered: isFiltered(query),
    });
    for (const id of [...selected]) if (!index.byId.has(id)) selected.delete(id);
    bulk.update();
    if (focusKey && inGrid) {
      /** @type {HTMLElement | null} */ (
        grid.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)
      )?.focus({ preventScroll: true });
    }
  }

  /** People and photos to filter by. */
  function choices() {
    const uploads = assets.filter((a) => a.source === "uploaded")
      .sort((a, b) => a.sort_order - b.sort_order || a.created_at.localeCompare(b.created_at));
    return {
      people: [...labels].map(([id, label]) => ({ id, label })),
      photos: uploads.map((u) => ({
        id: u.id,
        label: u.manifest_tag ? `${u.name} (${u.manifest_tag})` : u.name,
      })),
    };
  }

  /**
   * Arrow keys move between tiles (up and down by a row of the grid as laid out).
   * @param {KeyboardEvent} event
   */
  function moveFocus(event) {
    const keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
    const from = /** @type {HTMLElement} */ (event.target);
    if (!keys.includes(event.key) || from.tagName === "INPUT") return;
    const buttons = /** @type {HTMLElement[]} */ ([...grid.querySelectorAll(".tile-open")]);
    const at = buttons.indexOf(from);
    if (at < 0) return;
    const top = buttons[at].offsetTop;
    const perRow = buttons.filter((b) => b.offsetTop === top).length || 1;
    const to = {
      ArrowLeft: at - 1,
      ArrowRight: at + 1,
      ArrowUp: at - perRow,
      ArrowDown: at + perRow,
      Home: 0,
      End: buttons.length - 1,
    }[event.key] ?? at;
    const target = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
    if (target === from) return;
    event.preventDefault();
    target.focus();
  }

  return {
    element,
    /**
     * New data: every asset, and the label of each identity.
     * @param {Asset[]} all
     * @param {Map<string, string>} identityLabels
     */
    setData(all, identityLabels) {
      assets = all;
      labels = identityLabels;
      index = indexAssets(all);
      refilter();
      draw();
    },
    /** Redraws (e.g. when editing becomes possible or impossible). */
    draw,
    /** @param {Partial<Query>} change */
    setQuery,
    /** The assets shown, in order: what the detail panel's arrows walk through. */
    order: () => shown,
    /**
     * Shows the page holding `assetId` and focuses its tile; false when the filters hide it.
     * @param {string} assetId
     */
    reveal(assetId) {
      const at = shown.findIndex((a) => a.id === assetId);
      if (at < 0) return false;
      if (Math.floor(at / size) !== page) {
        page = Math.floor(at / size);
        draw();
      }
      const tile = /** @type {HTMLElement | null} */ (
        grid.querySelector(`[data-asset-id="${CSS.escape(assetId)}"] .tile-open`)
      );
      tile?.focus({ preventScroll: true });
      tile?.scrollIntoView({ block: "nearest" });
      return true;
    },
    /** The filters now. */
    query: () => query,
  };
}
