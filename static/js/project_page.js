/**
 * A project's page (`#/projects/<id>`): its script and manifest, storyboard generation with
 * live progress on `project:<id>`, and the storyboard table.
 *
 * @module
 */
import { api } from "./api.js";
import { errorText, h, replace, statusBadge, toast } from "./dom.js";
import { live } from "./live.js";
import { ProgressPanel } from "./progress_panel.js";
import { PROJECT_COUNTERS, PROJECT_STEPS } from "./project_steps.js";
import { storyboardView } from "./storyboard.js";

/**
 * @typedef {import("./api.js").Project} Project
 * @typedef {import("./api.js").Manifest} Manifest
 * @typedef {import("./api.js").JobStarted} JobStarted
 * @typedef {import("./api.js").Readiness} Readiness
 */

/**
 * Renders the page into `root`.
 * @param {HTMLElement} root
 * @param {{ id: string }} params
 * @returns {() => void} cleanup
 */
export function renderProjectPage(root, { id }) {
  replace(root, h("p", { class: "loading" }, "Loading the project…"));
  let disposed = false;
  /** @type {Project | null} */
  let project = null;
  const panel = new ProgressPanel({
    title: "Generation",
    steps: PROJECT_STEPS,
    counters: PROJECT_COUNTERS,
    idleText: "No storyboard has been generated yet. Generate one to see its four steps here.",
  });
  const headSlot = h("div");
  const boardSlot = h("section", { class: "storyboard", "aria-labelledby": "board-title" });
  const message = h("p", { class: "error-text", role: "alert", hidden: true });
  const liveNote = h("p", { class: "muted small", role: "status" });
  // Said before anyone presses Generate: without a key the server cannot write storyboards.
  const writerNote = h("p", { class: "muted small", hidden: true });
  fetch("/readyz").then((r) => r.json()).then((/** @type {Readiness} */ ready) => {
    if (ready.storyboard_writer) return;
    writerNote.textContent = "Storyboards are written by Gemini, and this server has no key: " +
      "set GEMINI_API_KEY and restart the service to generate one.";
    writerNote.hidden = false;
  }).catch(() => {});

  const generate = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "primary",
    onclick: async () => {
      message.hidden = true;
      generate.disabled = true;
      try {
        const started = /** @type {JobStarted} */ (
          await api(`/projects/${id}/storyboard`, { method: "POST" })
        );
        panel.started(started.job_id);
        // Its frames may have come first, even its `done`: then the project is not GENERATING
        // any more, and saying so would hide Generate until the next reload.
        // The button is on the page only once the project has loaded.
        if (panel.active) /** @type {Project} */ (project).status = "GENERATING";
      } catch (error) {
        message.textContent = errorText(error);
        message.hidden = false;
      } finally {
        generate.disabled = false;
        drawHead();
      }
    },
  }, "Generate storyboard"));
  const cancel = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "danger-outline",
    onclick: async () => {
      message.hidden = true;
      cancel.disabled = true; // A second click would only be told the job already ended.
      try {
        if (panel.jobId) await api(`/jobs/${panel.jobId}/cancel`, { method: "POST" });
      } catch (error) {
        message.textContent = errorText(error);
        message.hidden = false;
      } finally {
        cancel.disabled = false;
      }
    },
  }, "Cancel job"));

  async function load() {
    project = /** @type {Project} */ (await api(`/projects/${id}`));
    if (disposed) return;
    /** @type {Manifest | null} */
    let manifest = null;
    if (project.manifest_id) {
      manifest = /** @type {Manifest | null} */ (
        await api(`/manifests/${project.manifest_id}`).catch(() => null)
      );
    }
    if (disposed) return;
    if (!headSlot.isConnected) {
      replace(
        root,
        headSlot,
        h("div", { class: "row wrap actions" }, generate, cancel),
        writerNote,
        message,
        panel.element,
        liveNote,
        boardSlot,
      );
      panel.render();
    }
    drawHead(manifest);
    await loadStoryboard();
  }

  /** @type {Manifest | null} */
  let manifestShown = null;
  /** @param {Manifest | null} [manifest] */
  function drawHead(manifest = manifestShown) {
    manifestShown = manifest;
    if (!project) return;
    const busy = project.status === "GENERATING" || panel.active;
    generate.hidden = busy;
    generate.textContent = project.scene_count ? "Generate again" : "Generate storyboard";
    cancel.hidden = !panel.active;
    replace(
      headSlot,
      h(
        "header",
        { class: "panel" },
        h(
          "nav",
          { class: "crumbs", "aria-label": "Breadcrumb" },
          h("a", { href: "#/projects" }, "Projects"),
          " / ",
          project.title,
        ),
        h("h1", null, project.title),
        h(
          "p",
          { class: "row wrap meta" },
          statusBadge(project.status),
          h("span", null, `${project.scene_count ?? 0} of ${project.target_scene_count} scenes`),
          h("span", null, project.aspect_ratio),
          project.style ? h("span", null, project.style) : null,
          project.manifest_id
            ? h(
              "span",
              null,
              "Manifest: ",
              h("a", { href: `#/manifests/${project.manifest_id}` }, manifest?.name ?? "open"),
              manifest ? [" ", statusBadge(manifest.status)] : null,
              project.manifest_version ? ` (version ${project.manifest_version} used)` : null,
            )
            : h("span", { class: "muted" }, "No manifest"),
        ),
        project.error ? h("p", { class: "error-text" }, project.error) : null,
        h(
          "details",
          null,
          h("summary", null, "Script"),
          h("p", { class: "script" }, project.prompt),
        ),
      ),
    );
  }

  async function loadStoryboard() {
    try {
      const board = /** @type {import("./storyboard.js").Storyboard} */ (
        await api(`/projects/${id}/storyboard`)
      );
      if (!disposed) replace(boardSlot, storyboardView(board));
    } catch (error) {
      if (disposed) return;
      const e = /** @type {{ status?: number }} */ (error);
      replace(
        boardSlot,
        h("h2", { id: "board-title" }, "Storyboard"),
        e.status === 404
          ? h("p", { class: "empty" }, "No storyboard yet. Press Generate storyboard to write one.")
          : h("p", { class: "error-text", role: "alert" }, errorText(error)),
      );
    }
  }

  /** @param {import("./live.js").Frame} frame */
  function onFrame(frame) {
    if (frame.type === "error") {
      liveNote.textContent = `Live progress is unavailable: ${frame.message}`;
      return;
    }
    liveNote.textContent = "";
    const shown = panel.apply(frame);
    drawHead();
    if (frame.type === "done" && shown) {
      if (frame.status === "complete") toast("The storyboard is ready.");
      else if (frame.status === "error") toast(`Generation failed: ${frame.error}`, "error");
      load().catch((error) => toast(errorText(error), "error"));
    }
  }

  const unsubscribe = live.subscribe(`project:${id}`, onFrame);
  load().catch((error) => {
    if (disposed) return;
    replace(
      root,
      h("nav", { class: "crumbs" }, h("a", { href: "#/projects" }, "Projects")),
      h(
        "p",
        { class: "error-text", role: "alert" },
        `This project cannot be shown: ${errorText(error)}`,
      ),
    );
  });
  return () => {
    disposed = true;
    unsubscribe();
    panel.dispose();
  };
}
