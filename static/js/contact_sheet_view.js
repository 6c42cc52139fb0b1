/**
 * The contact-sheet viewer: the manifest's sheet pages full size in a dialog, one at a time,
 * with a list of pages when there are several. It is given the pages' URLs, so a manifest
 * with one sheet (today's `GET /manifests/{id}/contact-sheet`) and one with many pages are
 * shown the same way. Its mount point is the `#contact-sheet` section of `#sheet-dialog`.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { errorText, h, replace } from "./dom.js";

/**
 * One page of a contact sheet: an image URL under `/api` and a label ("Page 2").
 * @typedef {{ url: string, label: string }} SheetPage
 */

/**
 * The pages of a manifest's contact sheet as the API serves them today: one sheet.
 * @param {import("./api.js").Manifest} manifest
 * @returns {SheetPage[]}
 */
export function sheetPagesOf(manifest) {
  if (!manifest.contact_sheet_url) return [];
  return [{
    url: `/api/manifests/${manifest.id}/contact-sheet?v=${manifest.version}`,
    label: "Page 1",
  }];
}

/**
 * Opens the viewer on `pages`, showing `first` (0-based).
 * @param {string} title e.g. the manifest's name
 * @param {SheetPage[]} pages
 * @param {number} [first]
 */
export function openContactSheets(title, pages, first = 0) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("sheet-dialog"));
  const mount = /** @type {HTMLElement} */ (document.getElementById("contact-sheet"));
  const img = /** @type {HTMLImageElement} */ (
    h("img", { id: "sheet-image", alt: `Contact sheet of ${title}` })
  );
  const note = h("p", { id: "sheet-status", class: "muted", role: "status" });
  const link = /** @type {HTMLAnchorElement} */ (
    h("a", { id: "sheet-open", target: "_blank", rel: "noopener" }, "Open full size in a new tab")
  );
  const list = h("ol", { class: "sheet-pages", "aria-label": "Contact sheet pages" });

  /** @param {number} index */
  function showPage(index) {
    const page = pages[index];
    const url = withToken(page.url);
    const where = pages.length > 1 ? ` (${page.label} of ${pages.length})` : "";
    note.textContent = `Loading the contact sheet${where}…`;
    note.className = "muted";
    img.alt = `Contact sheet of ${title}${where}`;
    img.onload = () => {
      note.textContent = `${title}: ${img.naturalWidth} × ${img.naturalHeight} px${where}`;
    };
    img.onerror = () => {
      // An <img> cannot read the error body; ask the API for its message.
      api(page.url.replace(/^\/api/, "")).then(
        () => (note.textContent = "The contact sheet could not be displayed."),
        (error) => (note.textContent = errorText(error)),
      ).finally(() => (note.className = "error-text"));
    };
    img.src = url;
    link.href = url;
    for (const [i, button] of [...list.querySelectorAll("button")].entries()) {
      button.toggleAttribute("aria-current", i === index);
    }
  }

  replace(
    list,
    pages.map((page, i) =>
      h(
        "li",
        null,
        h("button", { type: "button", class: "small", onclick: () => showPage(i) }, page.label),
      )
    ),
  );
  list.hidden = pages.length < 2;
  replace(
    mount,
    h("div", { class: "row between" }, note, link),
    list,
    h("div", { class: "sheet-frame" }, img),
  );
  if (pages.length === 0) {
    note.textContent = "There is no contact sheet yet: processing makes it.";
    link.hidden = true;
  } else showPage(Math.min(first, pages.length - 1));
  dialog.showModal();
}
