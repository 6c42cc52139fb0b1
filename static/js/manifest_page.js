/**
 * A manifest's page (`#/manifests/<id>[/assets/<TAG>][?filters]`): header, uploads, live
 * processing, people, and the assets as a filtered, paged grid with one detail panel, all
 * kept current from the WebSocket topic `manifest:<id>`. The filters and the asset shown
 * live in the address, so a reload or a shared link shows the same thing.
 *
 * @module
 */
import { api } from "./api.js";
import { createAssetBrowser } from "./asset_browser.js";
import { createAssetDetail } from "./asset_detail.js";
import { queryFrom, queryParams } from "./asset_query.js";
import { errorText, h, replace, toast } from "./dom.js";
import { live } from "./live.js";
import { createHeader } from "./manifest_header.js";
import { MANIFEST_COUNTERS, MANIFEST_STEPS } from "./manifest_steps.js";
import { createPeople, identityLabels } from "./people.js";
import { ProgressPanel } from "./progress_panel.js";
import { createUploader } from "./uploader.js";
import { loadVocabulary } from "./vocabulary.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 * @typedef {import("./api.js").ManifestDetail} ManifestDetail
 * @typedef {import("./asset_query.js").Query} Query
 */

/** Redraws while crops stream in are batched to at most one per this many ms. */
const REDRAW_MS = 300;

/**
 * Renders the page into `root`.
 * @param {HTMLElement} root
 * @param {import("./app.js").PageParams} params the id, the asset's tag and the filters
 * @returns {{ cleanup: () => void, update: (params: import("./app.js").PageParams) => void }}
 */
export function renderManifestPage(root, params) {
  const id = params.id;
  replace(root, h("p", { class: "loading" }, "Loading the manifest…"));
  // Null until the first load. The uploader, the header and its actions are on the page only
  // after it, and the locks are applied only after it, so their code casts it as loaded.
  /** @type {ManifestDetail | null} */
  let manifest = null;
  /** @type {Asset[]} */
  let assets = [];
  /** @type {Map<string, Asset>} */
  let byId = new Map();
  /** @type {Identity[]} */
  let identities = [];
  /** @type {Map<string, string>} */
  let labels = new Map();
  let disposed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let redrawTimer;
  /** @type {Promise<void> | null} */
  let loading = null;
  let reloadAgain = false;

  const panel = new ProgressPanel({
    title: "Processing",
    steps: MANIFEST_STEPS,
    counters: MANIFEST_COUNTERS,
    idleText: "Not processed yet. Add photos, then press Process: the five steps and their " +
      "counters appear here as they run.",
  });
  const liveNote = h("p", { class: "error-text small", role: "alert", hidden: true });
  const uploader = createUploader({
    manifestId: id,
    onUploaded: (created) => {
      // Uploads go on after the page is left; their timers must not outlive it.
      if (disposed) return;
      for (const asset of created) upsert(asset);
      const loaded = /** @type {ManifestDetail} */ (manifest);
      loaded.asset_count += created.length;
      header?.update(loaded, panel.active);
      redraw();
    },
  });
  /** @type {ReturnType<typeof createHeader> | null} */
  let header = null;
  /** Whether editing was locked at the last check. */
  let lastLock = false;

  const locked = () =>
    /** @type {ManifestDetail} */ (manifest)?.status === "PROCESSING" || panel.active;

  const people = createPeople({
    manifestId: id,
    locked,
    onChanged: () => reload(),
    onShowPerson: (identityId) => showPerson(identityId),
  });
  const browser = createAssetBrowser({
    manifestId: id,
    query: queryFrom(params),
    locked,
    onOpen: (asset) => detail.show(asset),
    onQuery: () => writeAddress(),
    onAssets: (result) => {
      for (const asset of result.items) upsert(asset);
      if (result.deleted_ids.length > 0) {
        const gone = new Set(result.deleted_ids);
        assets = assets.filter((a) => !gone.has(a.id));
        // Deleting faces changes people's counts: the server has recounted them.
        reload();
      }
      draw();
    },
    onPeople: () => reload(),
  });
  const detail = createAssetDetail({
    asset: (assetId) => byId.get(assetId),
    all: () => assets,
    order: () => browser.order(),
    identities: () => identities,
    labels: () => labels,
    locked,
    onSaved: (saved, retagged) => {
      upsert(saved);
      // A new type brings a new tag: show it on the tile.
      if (retagged) draw();
      else redraw();
    },
    onDeleted: (assetId) => {
      assets = assets.filter((a) => a.id !== assetId && a.source_asset_id !== assetId);
      byId = new Map(assets.map((a) => [a.id, a]));
      draw();
      reload();
    },
    onChanged: () => reload(),
    onShow: () => writeAddress(),
    onShowPerson: (identityId) => showPerson(identityId),
  });

  /** The address says which filters are set and which asset is open; no history entry. */
  function writeAddress() {
    if (disposed) return;
    const shown = detail.current();
    const search = queryParams(browser.query()).toString();
    const path = `#/manifests/${id}` +
      (shown ? `/assets/${encodeURIComponent(shown.manifest_tag ?? shown.id)}` : "");
    const hash = search ? `${path}?${search}` : path;
    if (location.hash !== hash) history.replaceState(history.state, "", hash);
  }

  /** @param {string} identityId */
  function showPerson(identityId) {
    browser.setQuery({ person: identityId });
    document.getElementById("assets-title")?.scrollIntoView({ block: "start" });
  }

  /**
   * Loads everything again (coalesced: one request in flight, one more after it at most).
   * Never rejects: a failure is shown (the whole page when it never loaded, else a toast).
   */
  function reload() {
    if (loading) {
      reloadAgain = true;
      return loading;
    }
    const request = /** @type {Promise<ManifestDetail>} */ (api(`/manifests/${id}`));
    // The header's categories and the lists of types come from the API's description.
    loading = Promise.all([request, loadVocabulary()]).then(([loaded]) => {
      if (disposed) return;
      ({ assets, identities } = loaded);
      manifest = loaded;
      if (!header) firstRender();
      applyLocks();
      draw();
    }, (error) => {
      if (disposed) return;
      if (header) {
        toast(`The manifest could not be refreshed: ${errorText(error)}`, "error");
        return;
      }
      replace(
        root,
        h("nav", { class: "crumbs" }, h("a", { href: "#/" }, "Manifests")),
        h(
          "p",
          { class: "error-text", role: "alert" },
          `This manifest cannot be shown: ${errorText(error)}`,
        ),
      );
    }).finally(() => {
      loading = null;
      if (reloadAgain && !disposed) {
        reloadAgain = false;
        reload();
      }
    });
    return loading;
  }

  function firstRender() {
    header = createHeader(/** @type {ManifestDetail} */ (manifest), {
      process: async () => {
        const started = /** @type {import("./api.js").JobStarted} */ (
          await api(`/manifests/${id}/process`, { method: "POST" })
        );
        panel.started(started.job_id);
        // Unless its frames came first, up to its `done` (then the reload that `done` asked
        // for says the status).
        if (panel.active) /** @type {ManifestDetail} */ (manifest).status = "PROCESSING";
        applyLocks();
        draw();
      },
      cancel: async () => {
        if (!panel.jobId) return;
        await api(`/jobs/${panel.jobId}/cancel`, { method: "POST" });
        toast("The job was cancelled; work already done is kept.");
      },
      onSaved: (saved) => {
        Object.assign(/** @type {ManifestDetail} */ (manifest), saved);
        header?.update(/** @type {ManifestDetail} */ (manifest), panel.active);
      },
    });
    replace(
      root,
      header.element,
      h("div", { class: "two-col" }, uploader.element, h("div", null, panel.element, liveNote)),
      people.element,
      h(
        "section",
        { class: "panel assets-section", "aria-labelledby": "assets-title" },
        h("h2", { id: "assets-title" }, "Assets"),
        browser.element,
      ),
    );
    panel.render();
  }

  /** Redraws people, grid and the open panel from the data as it is now. */
  function draw() {
    clearTimeout(redrawTimer);
    redrawTimer = undefined;
    if (!manifest) return;
    byId = new Map(assets.map((a) => [a.id, a]));
    labels = identityLabels(identities);
    people.update(identities, assets);
    browser.setData(assets, labels);
    detail.refresh();
  }

  function redraw() {
    redrawTimer ??= setTimeout(draw, REDRAW_MS);
  }

  /** @param {Asset} asset */
  function upsert(asset) {
    const index = assets.findIndex((a) => a.id === asset.id);
    if (index >= 0) assets[index] = { ...assets[index], ...asset };
    else assets.push(asset);
  }

  /** Header buttons and the upload zone follow whether a job runs; returns the lock state. */
  function applyLocks() {
    header?.update(/** @type {ManifestDetail} */ (manifest), panel.active);
    const now = locked();
    uploader.setLocked(
      now ? "Photos can be added again when processing ends (or after Cancel job)." : null,
    );
    lastLock = now;
    return now;
  }

  /** @param {import("./live.js").Frame} frame */
  function onFrame(frame) {
    if (frame.type === "error") {
      liveNote.textContent = `Live progress is unavailable: ${frame.message}`;
      liveNote.hidden = false;
      return;
    }
    liveNote.hidden = true;
    const shown = panel.apply(frame);
    if (!manifest) return;
    if (frame.type === "asset" && frame.asset?.id) {
      upsert(frame.asset); // Real changes, even from a job that was just cancelled.
      redraw();
    } else if (frame.type === "done" && shown) {
      if (frame.status === "complete") {
        toast("Processing complete.");
        // What went wrong without failing the job, e.g. a contact sheet page not drawn.
        for (const warning of frame.warnings ?? []) toast(warning, "error");
      } else if (frame.status === "error") toast(`Processing failed: ${frame.error}`, "error");
      reload();
    } else if (frame.type === "snapshot" && frame.manifest_status !== manifest.status) {
      // The job changed while this page was away (or before it loaded): catch up.
      // A manifest topic's snapshot always carries it.
      manifest.status = /** @type {import("./api.js").ManifestStatus} */ (frame.manifest_status);
      reload();
    } else if (frame.type === "step" && shown && manifest.status !== "PROCESSING") {
      manifest.status = "PROCESSING"; // A job started elsewhere (another tab, the API).
    }
    // Controls are redrawn only when editing becomes possible or impossible.
    const before = lastLock;
    if (applyLocks() !== before) draw();
  }

  const unsubscribe = live.subscribe(`manifest:${id}`, onFrame);
  /** The asset the address names now (it may change before the first load ends). */
  let wantedTag = params.tag;
  reload().then(() => {
    if (wantedTag && manifest && !disposed) openTag(wantedTag);
  });

  /**
   * Opens the detail panel on the asset tagged `tag` (or with that id).
   * @param {string} tag
   */
  function openTag(tag) {
    const asset = assets.find((a) => a.manifest_tag === tag) ?? byId.get(tag);
    if (asset) detail.show(asset);
    else toast(`No asset is tagged ${tag} in this manifest.`, "error");
  }

  return {
    cleanup() {
      disposed = true;
      unsubscribe();
      panel.dispose();
      detail.dispose();
      clearTimeout(redrawTimer);
    },
    update(next) {
      wantedTag = next.tag;
      const query = queryFrom(next);
      if (queryParams(query).toString() !== queryParams(browser.query()).toString()) {
        browser.setQuery(query);
      }
      if (next.tag && manifest) openTag(next.tag);
      else if (!next.tag) detail.close();
    },
  };
}
