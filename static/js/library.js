/**
 * The manifest library (`#/`): search, create, import, open and delete manifests.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { ago, confirmDialog, debounce, errorText, h, replace, statusBadge, toast } from "./dom.js";

/** @typedef {import("./api.js").Manifest} Manifest */

/**
 * Renders the library into `root`.
 * @param {HTMLElement} root
 * @returns {() => void} cleanup
 */
export function renderLibrary(root) {
  const controller = new AbortController();
  const list = h("div", { class: "card-grid", "aria-live": "polite", "aria-busy": "true" });
  const count = h("p", { class: "muted", role: "status" });
  const search = h("input", {
    id: "library-search",
    type: "search",
    placeholder: "Name or description",
    autocomplete: "off",
  });
  const statusFilter = h(
    "select",
    { id: "library-status" },
    h("option", { value: "" }, "Any status"),
    ["DRAFT", "PROCESSING", "READY", "ERROR"].map((s) => h("option", { value: s }, s)),
  );

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    list.setAttribute("aria-busy", "true");
    const params = new URLSearchParams();
    const q = /** @type {HTMLInputElement} */ (search).value.trim();
    if (q) params.set("q", q);
    const status = /** @type {HTMLSelectElement} */ (statusFilter).value;
    if (status) params.set("status", status);
    try {
      const page = /** @type {import("./api.js").Page<Manifest>} */ (
        await api(`/manifests?${params}`, { signal: controller.signal })
      );
      if (mine !== generation) return; // A newer search answered first.
      count.textContent = q || status
        ? `${page.total} matching ${page.total === 1 ? "manifest" : "manifests"}`
        : `${page.total} ${page.total === 1 ? "manifest" : "manifests"}`;
      replace(
        list,
        page.items.length ? page.items.map((m) => card(m, load)) : h(
          "p",
          { class: "empty" },
          q || status
            ? "No manifest matches. Try another word or status."
            : "No manifests yet. Create one above, then add reference photos to it.",
        ),
      );
    } catch (error) {
      if (/** @type {Error} */ (error).name === "AbortError") return;
      replace(list, h("p", { class: "error-text", role: "alert" }, errorText(error)));
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  };
  const searchLater = debounce(load, 300);
  search.addEventListener("input", () => searchLater());
  statusFilter.addEventListener("change", () => load());

  replace(
    root,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Manifests"),
      h(
        "p",
        { class: "muted" },
        "Each manifest turns a set of reference photos into tagged assets for a storyboard.",
      ),
    ),
    createForm(),
    importForm(),
    h(
      "div",
      { class: "toolbar", role: "search" },
      h("label", { for: "library-search" }, "Search"),
      search,
      h("label", { for: "library-status" }, "Status"),
      statusFilter,
      count,
    ),
    list,
  );
  load();
  return () => {
    controller.abort();
    searchLater.cancel();
  };
}

/** The "new manifest" form; opens the manifest once created. */
function createForm() {
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const name = h("input", {
    id: "new-manifest-name",
    name: "name",
    required: true,
    maxlength: 200,
  });
  const description = h("input", { id: "new-manifest-description", name: "description" });
  const submit = /** @type {HTMLButtonElement} */ (
    h("button", { type: "submit", class: "primary" }, "Create manifest")
  );
  return h(
    "form",
    {
      class: "panel create-form",
      "aria-labelledby": "create-manifest-title",
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        error.hidden = true;
        submit.disabled = true;
        try {
          const created = /** @type {Manifest} */ (await api("/manifests", {
            method: "POST",
            body: {
              name: /** @type {HTMLInputElement} */ (name).value,
              description: /** @type {HTMLInputElement} */ (description).value || null,
            },
          }));
          location.hash = `#/manifests/${created.id}`;
        } catch (e) {
          error.textContent = errorText(e);
          error.hidden = false;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "create-manifest-title" }, "New manifest"),
    h(
      "div",
      { class: "row wrap" },
      h("div", { class: "field grow" }, h("label", { for: "new-manifest-name" }, "Name"), name),
      h(
        "div",
        { class: "field grow2" },
        h("label", { for: "new-manifest-description" }, "Description (optional)"),
        description,
      ),
      submit,
    ),
    error,
  );
}

/** The "import a bundle" form; opens the new manifest once imported. */
function importForm() {
  const error = h("p", { class: "error-text", role: "alert", hidden: true });
  const file = /** @type {HTMLInputElement} */ (h("input", {
    id: "import-file",
    type: "file",
    accept: ".zip,application/zip",
    required: true,
  }));
  const submit = /** @type {HTMLButtonElement} */ (
    h("button", { type: "submit" }, "Import bundle")
  );
  return h(
    "form",
    {
      class: "panel create-form",
      "aria-labelledby": "import-manifest-title",
      onsubmit: async (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        const chosen = file.files?.[0];
        if (!chosen) return;
        error.hidden = true;
        submit.disabled = true;
        submit.textContent = "Importing…";
        try {
          const body = new FormData();
          body.append("file", chosen, chosen.name);
          const created = /** @type {Manifest} */ (
            await api("/manifests/import", { method: "POST", body })
          );
          toast(`Imported “${created.name}” with ${created.asset_count} assets.`);
          location.hash = `#/manifests/${created.id}`;
        } catch (e) {
          error.textContent = `Not imported: ${errorText(e)}`;
          error.hidden = false;
        } finally {
          submit.disabled = false;
          submit.textContent = "Import bundle";
        }
      },
    },
    h("h2", { id: "import-manifest-title" }, "Import a bundle"),
    h(
      "div",
      { class: "row wrap" },
      h(
        "div",
        { class: "field grow" },
        h("label", { for: "import-file" }, "A ZIP exported from a manifest's page"),
        file,
      ),
      submit,
    ),
    error,
  );
}

/**
 * One manifest in the library.
 * @param {Manifest} m
 * @param {() => void} reload
 */
function card(m, reload) {
  const message = h("p", { class: "error-text small", role: "alert", hidden: true });
  const link = `#/manifests/${m.id}`;
  const thumb = m.contact_sheet_url
    ? h("img", {
      src: withToken(`/api/manifests/${m.id}/contact-sheet?v=${m.version}`),
      alt: `Contact sheet of ${m.name}`,
      loading: "lazy",
    })
    : h("span", { class: "placeholder" }, "No contact sheet yet");
  const remove = h("button", {
    type: "button",
    class: "small danger-outline",
    "aria-label": `Delete ${m.name}`,
    onclick: async () => {
      if (!await confirmDialog(`Delete “${m.name}” with its ${m.asset_count} assets?`)) return;
      message.hidden = true;
      try {
        await api(`/manifests/${m.id}`, { method: "DELETE" });
        toast(`Deleted “${m.name}”.`);
        reload();
      } catch (e) {
        message.textContent = deleteRefusal(e);
        message.hidden = false;
      }
    },
  }, "Delete");
  return h(
    "article",
    { class: "card manifest-card", dataset: { manifestId: m.id } },
    h("a", { href: link, class: "thumb-link", tabindex: "-1", "aria-hidden": "true" }, thumb),
    h(
      "div",
      { class: "card-body" },
      h("h3", null, h("a", { href: link }, m.name)),
      h(
        "p",
        { class: "row wrap meta" },
        statusBadge(m.status),
        h("span", null, `${m.asset_count} ${m.asset_count === 1 ? "asset" : "assets"}`),
      ),
      h("p", { class: "muted small", title: m.updated_at }, `Updated ${ago(m.updated_at)}`),
      m.description ? h("p", { class: "muted small clamp" }, m.description) : null,
      m.status === "ERROR" && m.error ? h("p", { class: "error-text small" }, m.error) : null,
      h("div", { class: "row end card-actions" }, remove),
      message,
    ),
  );
}

/**
 * A 409 on delete, in words: why it was refused, then the API's own message.
 * @param {unknown} error
 */
function deleteRefusal(error) {
  const e = /** @type {Partial<import("./api.js").ApiError> | null | undefined} */ (error);
  if (e?.status !== 409) return `Not deleted: ${errorText(error)}`;
  const why = e.code === "manifest_in_use"
    ? "A project's storyboard is built on this manifest, so deleting it would break that project."
    : e.code === "manifest_processing"
    ? "It is being processed right now; wait for the job to end or cancel it first."
    : "It is in use right now.";
  return `Not deleted. ${why} (${e.message})`;
}
