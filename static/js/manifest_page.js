/**
 * A manifest's page (`#/manifests/<id>[/assets/<TAG>]`): header, uploads, live processing,
 * people and the asset grid, all kept current from the WebSocket topic `manifest:<id>`.
 *
 * @module
 */
import { api } from "./api.js";
import { assetGrid, focusCard } from "./asset_grid.js";
import { errorText, h, replace, toast } from "./dom.js";
import { identitiesPanel, identityLabels } from "./identities.js";
import { live } from "./live.js";
import { createHeader } from "./manifest_header.js";
import { MANIFEST_COUNTERS, MANIFEST_STEPS } from "./manifest_steps.js";
import { ProgressPanel } from "./progress_panel.js";
import { createUploader } from "./uploader.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").ManifestDetail} ManifestDetail
 */

/** Grid redraws while crops stream in are batched to at most one per this many ms. */
const REDRAW_MS = 300;

/**
 * Renders the page into `root`.
 * @param {HTMLElement} root
 * @param {{ id: string, tag?: string }} params
 * @returns {{ cleanup: () => void, update: (params: { id: string, tag?: string }) => void }}
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
  /** @type {import("./api.js").Identity[]} */
  let identities = [];
  /** @type {Map<string, { text: string, isError?: boolean, busy?: boolean }>} */
  const notes = new Map();
  /** Outcome of the last change to the people, shown above them. */
  const peopleNote = { text: "", isError: false };
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
  const peopleSlot = h("div");
  const gridSlot = h("div", { "aria-live": "off" });
  const uploader = createUploader({
    manifestId: id,
    onUploaded: (created) => {
      // Uploads go on after the page is left; their timers must not outlive it.
      if (disposed) return;
      assets.push(...created);
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
    /** @type {ManifestDetail} */ (manifest).status === "PROCESSING" || panel.active;

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
    loading = request.then((detail) => {
      if (disposed) return;
      ({ assets, identities } = detail);
      manifest = detail;
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
      peopleSlot,
      h(
        "section",
        { class: "assets-section", "aria-labelledby": "assets-title" },
        h("h2", { id: "assets-title" }, "Assets by photo"),
        gridSlot,
      ),
    );
    panel.render();
  }

  /** Redraws people and grid, keeping the focused control (and what was typed in it). */
  function draw() {
    clearTimeout(redrawTimer);
    redrawTimer = undefined;
    if (!manifest) return;
    const focused = /** @type {HTMLInputElement | null} */ (document.activeElement);
    const key = focused?.dataset?.focusKey;
    const value = focused?.value;
    const labels = identityLabels(identities);
    const isLocked = locked();
    replace(
      peopleSlot,
      identitiesPanel({
        identities,
        assets,
        locked: isLocked,
        note: peopleNote,
        onChanged: () => reload(),
      }),
    );
    replace(
      gridSlot,
      assetGrid(assets, {
        locked: isLocked,
        identityLabel: (identityId) => labels.get(identityId) ?? null,
        onSaved: (saved, retagged) => {
          upsert(saved);
          // A new type brings a new tag: show it (draw keeps the focused control as it was).
          if (retagged) draw();
        },
        onReprocess: reprocess,
        notes,
      }),
    );
    if (key) {
      const again = /** @type {HTMLInputElement | null} */ (
        root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)
      );
      if (again) {
        if (value !== undefined && again.value !== value) {
          again.value = value;
          // A choice that no longer exists (a person merged away) must not leave a blank list.
          const list = /** @type {HTMLSelectElement} */ (/** @type {unknown} */ (again));
          if (again.tagName === "SELECT" && list.selectedIndex < 0) list.selectedIndex = 0;
        }
        again.focus({ preventScroll: true });
      }
    }
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

  /** @param {Asset} asset */
  async function reprocess(asset) {
    const label = asset.manifest_tag ?? asset.name;
    notes.set(asset.id, { text: "Reprocessing…", busy: true });
    draw();
    try {
      const result = /** @type {Asset | import("./api.js").ReprocessQueued} */ (
        await api(`/assets/${asset.id}/reprocess`, { method: "POST" })
      );
      // 200 is the updated asset; 202 means the job waits for a worker: progress shows it.
      const done = result && "manifest_id" in result;
      if (done) upsert(result);
      notes.set(asset.id, { text: done ? "Reprocessed" : "Queued; see Processing above" });
      toast(done ? `${label} was reprocessed.` : `${label} is queued for reprocessing.`);
    } catch (error) {
      notes.set(asset.id, { text: errorText(error), isError: true });
    }
    if (!disposed) await reload();
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
    // Cards and people are redrawn only when editing becomes possible or impossible.
    const before = lastLock;
    if (applyLocks() !== before) draw();
  }

  const unsubscribe = live.subscribe(`manifest:${id}`, onFrame);
  /** The asset the address names now (it may change before the first load ends). */
  let wantedTag = params.tag;
  reload().then(() => {
    if (wantedTag && manifest && !disposed) focusTag(wantedTag);
  });

  /** @param {string} tag */
  function focusTag(tag) {
    const asset = assets.find((a) => a.manifest_tag === tag);
    if (!asset || !focusCard(asset.id)) {
      toast(`No asset is tagged ${tag} in this manifest.`, "error");
    }
  }

  return {
    cleanup() {
      disposed = true;
      unsubscribe();
      panel.dispose();
      clearTimeout(redrawTimer);
    },
    update(next) {
      wantedTag = next.tag;
      if (next.tag && manifest) focusTag(next.tag);
    },
  };
}
