/**
 * Projects (`#/projects`): the list, and a form that creates a project from a script and a
 * READY manifest.
 *
 * @module
 */
import { api } from "./api.js";
import { ago, errorText, h, replace, statusBadge } from "./dom.js";

/**
 * @typedef {import("./api.js").Project} Project
 * @typedef {import("./api.js").Manifest} Manifest
 */
/**
 * @template T
 * @typedef {import("./api.js").Page<T>} Page
 */

/**
 * Renders the projects list into `root`.
 * @param {HTMLElement} root
 * @param {{ manifest?: string }} params `manifest` preselects a manifest (from its page)
 * @returns {() => void} cleanup
 */
export function renderProjects(root, params) {
  const controller = new AbortController();
  const list = h(
    "div",
    { class: "stack", "aria-live": "polite" },
    h("p", { class: "loading" }, "Loading projects…"),
  );
  const form = createForm(params.manifest ?? null, controller.signal);
  replace(
    root,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Projects"),
      h(
        "p",
        { class: "muted" },
        "A project turns a script into a storyboard grounded in a manifest's tagged assets.",
      ),
    ),
    form,
    h("h2", null, "All projects"),
    list,
  );
  const projects = /** @type {Promise<Page<Project>>} */ (
    api("/projects", { signal: controller.signal })
  );
  projects.then((page) => {
    replace(
      list,
      page.items.length
        ? h("div", { class: "card-grid" }, page.items.map(projectCard))
        : h("p", { class: "empty" }, "No projects yet. Create one above from a READY manifest."),
    );
  }, (/** @type {Error} */ error) => {
    if (error.name === "AbortError") return;
    replace(
      list,
      h(
        "p",
        { class: "error-text", role: "alert" },
        `Projects cannot be listed: ${errorText(error)}`,
      ),
    );
  });
  return () => controller.abort();
}

/** @param {Project} p */
function projectCard(p) {
  return h(
    "article",
    { class: "card project-card" },
    h(
      "div",
      { class: "card-body" },
      h("h3", null, h("a", { href: `#/projects/${p.id}` }, p.title)),
      h(
        "p",
        { class: "row wrap meta" },
        statusBadge(p.status),
        h("span", null, `${p.scene_count ?? 0} of ${p.target_scene_count} scenes`),
        h("span", null, p.aspect_ratio),
        h("span", { class: "muted", title: p.updated_at }, `updated ${ago(p.updated_at)}`),
      ),
      h("p", { class: "muted small clamp" }, p.prompt),
      p.error ? h("p", { class: "error-text small" }, p.error) : null,
    ),
  );
}

/**
 * The "new project" form.
 * @param {string | null} preselected manifest id
 * @param {AbortSignal} signal
 */
function createForm(preselected, signal) {
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const manifestSelect = /** @type {HTMLSelectElement} */ (h(
    "select",
    { id: "project-manifest", name: "manifest_id", required: true },
    h("option", { value: "" }, "Loading manifests…"),
  ));
  const manifestNote = h("p", { class: "muted small", id: "project-manifest-note" });
  // Creating waits for the manifests: a project is grounded on one of them.
  const submit = /** @type {HTMLButtonElement} */ (
    h("button", { type: "submit", class: "primary", disabled: true }, "Create project")
  );
  const ready = /** @type {Promise<Page<Manifest>>} */ (
    api("/manifests?status=READY&limit=500", { signal })
  );
  ready.then((page) => {
    replace(
      manifestSelect,
      h("option", { value: "" }, page.items.length ? "Choose a manifest" : "No READY manifest yet"),
      page.items.map((m) =>
        h(
          "option",
          { value: m.id, selected: m.id === preselected },
          `${m.name} (${m.asset_count} assets)`,
        )
      ),
    );
    manifestNote.textContent = page.items.length
      ? "Only READY manifests are listed: their tags are what the storyboard may use."
      : "No manifest is READY yet: process one first to ground the storyboard in its assets.";
    submit.disabled = page.items.length === 0;
  }, (/** @type {Error} */ e) => {
    if (e.name !== "AbortError") {
      manifestNote.textContent = `Manifests cannot be listed: ${errorText(e)}`;
    }
  });

  /**
   * @param {string} id @param {string} label @param {HTMLElement} control
   * @param {HTMLElement | null} [extra]
   */
  const field = (id, label, control, extra = null) =>
    h("div", { class: "field" }, h("label", { for: id }, label), control, extra);
  return h(
    "form",
    {
      class: "panel create-form",
      "aria-labelledby": "new-project-title",
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const data = new FormData(/** @type {HTMLFormElement} */ (event.currentTarget));
        error.hidden = true;
        submit.disabled = true;
        try {
          const created = /** @type {Project} */ (await api("/projects", {
            method: "POST",
            body: {
              title: String(data.get("title")).trim(),
              prompt: String(data.get("prompt")).trim(),
              style: String(data.get("style")).trim() || null,
              aspect_ratio: data.get("aspect_ratio"),
              target_scene_count: Number(data.get("target_scene_count")),
              manifest_id: data.get("manifest_id") || null,
            },
          }));
          location.hash = `#/projects/${created.id}`;
        } catch (e) {
          error.textContent = errorText(e);
          error.hidden = false;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "new-project-title" }, "New project"),
    h(
      "div",
      { class: "form-grid" },
      field(
        "project-title",
        "Title",
        h("input", { id: "project-title", name: "title", required: true, maxlength: 200 }),
      ),
      field("project-manifest", "Manifest", manifestSelect, manifestNote),
      h(
        "div",
        { class: "field span2" },
        h("label", { for: "project-prompt" }, "Script"),
        h("textarea", {
          id: "project-prompt",
          name: "prompt",
          rows: 5,
          required: true,
          placeholder: "The story, scene by scene or as prose. Mention the characters by name.",
        }),
      ),
      field(
        "project-style",
        "Style (optional)",
        h("input", { id: "project-style", name: "style", placeholder: "e.g. film noir, 35 mm" }),
      ),
      h(
        "div",
        { class: "row wrap" },
        field(
          "project-aspect",
          "Aspect ratio",
          h(
            "select",
            { id: "project-aspect", name: "aspect_ratio" },
            h("option", { value: "16:9" }, "16:9 landscape"),
            h("option", { value: "9:16" }, "9:16 portrait"),
          ),
        ),
        field(
          "project-scenes",
          "Scenes",
          h("input", {
            id: "project-scenes",
            name: "target_scene_count",
            type: "number",
            min: 1,
            max: 20,
            value: "6",
            required: true,
          }),
        ),
      ),
    ),
    h("div", { class: "row end" }, submit),
    error,
  );
}
