/**
 * The top of a manifest's page: its name, description and category edited in place (saved
 * while typing), its status (and a contact sheet that could not be drawn), and the actions
 * (process, cancel, contact sheet pages, export, use in a project).
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { autosave } from "./autosave.js";
import { openContactSheet } from "./contact_sheet.js";
import { errorText, h, replace, statusBadge } from "./dom.js";
import { CATEGORIES } from "./vocabulary.js";

/** @typedef {import("./api.js").Manifest} Manifest */

/**
 * @typedef {object} HeaderActions
 * @property {() => Promise<void>} process
 * @property {() => Promise<void>} cancel
 * @property {(manifest: Manifest) => void} onSaved
 */

/**
 * Builds the header; call `update` whenever the manifest or the job changes.
 * @param {Manifest} manifest
 * @param {HeaderActions} actions
 */
export function createHeader(manifest, actions) {
  const saveStatus = h("span", { class: "save-status small", role: "status" });
  const saver = autosave(async (patch) => {
    const saved = /** @type {Manifest} */ (
      await api(`/manifests/${manifest.id}`, { method: "PUT", body: patch })
    );
    actions.onSaved(saved);
  }, saveStatus);
  const title = h("span", { class: "crumb-current" }, manifest.name);

  const name = /** @type {HTMLInputElement} */ (h("input", {
    id: "manifest-name",
    class: "title-input",
    value: manifest.name,
    maxlength: 200,
    oninput: () => {
      title.textContent = name.value;
      if (name.value.trim()) saver.change("name", name.value.trim());
    },
    onblur: () => saver.flush(),
  }));
  const description = /** @type {HTMLTextAreaElement} */ (h("textarea", {
    id: "manifest-description",
    rows: 2,
    placeholder: "What these references are for (optional)",
    oninput: () => saver.change("description", description.value || null),
    onblur: () => saver.flush(),
  }));
  description.value = manifest.description ?? "";
  const category = /** @type {HTMLSelectElement} */ (h(
    "select",
    {
      id: "manifest-category",
      onchange: () => {
        saver.change("category", category.value);
        saver.flush();
      },
    },
    CATEGORIES.map((c) => h("option", { value: c, selected: c === manifest.category }, c)),
  ));

  const status = h("p", { class: "row wrap meta" });
  const message = h("p", { class: "error-text", role: "alert", hidden: true });
  const sheetWarning = h("p", { class: "note sheet-warning", role: "status", hidden: true });
  const processButton = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "primary",
    onclick: () => guarded(processButton, actions.process),
  }, "Process"));
  const cancelButton = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "danger-outline",
    onclick: () => guarded(cancelButton, actions.cancel),
  }, "Cancel job"));
  const sheetButton = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    onclick: () => openContactSheet(current),
  }, "Contact sheet"));
  // A plain link: the browser streams the download itself (with `?token=` when one is set).
  const exportLink = h("a", {
    class: "button",
    id: "manifest-export",
    download: "",
    title: "Everything in one ZIP, to import into another Manifest Studio",
  }, "Export bundle");
  const projectLink = h(
    "a",
    { class: "button", href: `#/projects?manifest=${manifest.id}` },
    "Use in a project",
  );
  let current = manifest;

  /**
   * Runs an action with its button disabled; its error goes under the buttons, in words.
   * @param {HTMLButtonElement} button
   * @param {() => Promise<void>} action
   */
  async function guarded(button, action) {
    message.hidden = true;
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      message.textContent = errorText(error);
      message.hidden = false;
    } finally {
      button.disabled = false;
      update(current, jobActive);
    }
  }

  let jobActive = false;
  /**
   * @param {Manifest} m the manifest as last loaded
   * @param {boolean} active a job is queued or running
   */
  function update(m, active) {
    current = m;
    jobActive = active;
    const processing = m.status === "PROCESSING" || active;
    for (const control of [name, description, category]) control.disabled = processing;
    processButton.hidden = processing;
    processButton.textContent = m.status === "READY" || m.status === "ERROR"
      ? "Process again"
      : "Process";
    cancelButton.hidden = !active;
    sheetButton.disabled = !m.contact_sheet_url;
    sheetButton.title = m.contact_sheet_url ? "" : "Processing makes the contact sheet.";
    projectLink.hidden = m.status !== "READY";
    exportLink.hidden = processing;
    // Read again on every update: the token may have been entered since the page was built.
    exportLink.setAttribute("href", withToken(`/api/manifests/${m.id}/export`));
    replace(
      status,
      statusBadge(m.status),
      h("span", null, `${m.asset_count} ${m.asset_count === 1 ? "asset" : "assets"}`),
      h("span", { class: "muted" }, `version ${m.version}`),
      m.status === "ERROR" && m.error ? h("span", { class: "error-text" }, m.error) : null,
    );
    // A sheet that could not be drawn does not stop the manifest from being READY.
    sheetWarning.textContent = m.contact_sheet_error ?? "";
    sheetWarning.hidden = !m.contact_sheet_error;
  }
  update(manifest, false);

  const element = h(
    "header",
    { class: "panel manifest-head" },
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/" }, "Manifests"),
      " / ",
      title,
    ),
    h(
      "div",
      { class: "head-grid" },
      h(
        "div",
        { class: "stack" },
        h("label", { for: "manifest-name", class: "small muted" }, "Manifest name"),
        name,
        h("label", { for: "manifest-description", class: "small muted" }, "Description"),
        description,
      ),
      h(
        "div",
        { class: "stack" },
        status,
        h(
          "div",
          { class: "field" },
          h("label", { for: "manifest-category" }, "Category"),
          category,
        ),
        saveStatus,
      ),
    ),
    h(
      "div",
      { class: "row wrap actions" },
      processButton,
      cancelButton,
      sheetButton,
      exportLink,
      projectLink,
    ),
    sheetWarning,
    message,
  );
  return { element, update, setName: (/** @type {string} */ text) => (title.textContent = text) };
}
