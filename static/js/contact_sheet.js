/**
 * The contact sheet dialog: the sheet's pages listed with the cells each holds ("Page 2 of 5 ·
 * cells 49–96"), and one page shown full size — page 1 first, any other on a click.
 *
 * @module
 */
import { api } from "./api.js";
import { withToken } from "./auth.js";
import { errorText, h, replace } from "./dom.js";

/** @typedef {import("./api.js").Manifest} Manifest */
/** @typedef {import("./api.js").ContactSheetPage} ContactSheetPage */

/**
 * How a page is named in the list, e.g. `Page 2 of 5 · cells 49–96`.
 * @param {ContactSheetPage} page
 * @param {number} count how many pages the sheet has
 * @returns {string}
 */
export function pageLabel(page, count) {
  const cells = page.last_cell < page.first_cell
    ? "no images"
    : page.last_cell === page.first_cell
    ? `cell ${page.first_cell}`
    : `cells ${page.first_cell}–${page.last_cell}`;
  return `Page ${page.page} of ${count} · ${cells}`;
}

/**
 * The address of one page's JPEG; `version` makes a changed manifest's pages load afresh.
 * @param {Manifest} manifest
 * @param {number} page
 */
function pageSrc(manifest, page) {
  return withToken(
    `/api/manifests/${manifest.id}/contact-sheet?page=${page}&v=${manifest.version}`,
  );
}

/**
 * Opens the dialog on page 1 and lists every page; when a page cannot load, asks the API why.
 * @param {Manifest} manifest
 */
export function openContactSheet(manifest) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("sheet-dialog"));
  const img = /** @type {HTMLImageElement} */ (document.getElementById("sheet-image"));
  const note = /** @type {HTMLElement} */ (document.getElementById("sheet-status"));
  const link = /** @type {HTMLAnchorElement} */ (document.getElementById("sheet-open"));
  const list = /** @type {HTMLElement} */ (document.getElementById("sheet-pages"));
  const warning = /** @type {HTMLElement} */ (document.getElementById("sheet-warning"));
  warning.textContent = manifest.contact_sheet_error ?? "";
  warning.hidden = !manifest.contact_sheet_error;

  /** @type {ContactSheetPage[]} */
  let pages = [];
  let shown = 1;

  /** What the note says once the page shown has loaded. */
  function loadedText() {
    const page = pages.find((p) => p.page === shown);
    const size = `${manifest.name}: ${img.naturalWidth} × ${img.naturalHeight} px`;
    return page ? `${size} · ${pageLabel(page, pages.length)}` : size;
  }

  /** @param {number} number */
  function show(number) {
    shown = number;
    const url = pageSrc(manifest, number);
    note.textContent = "Loading the contact sheet…";
    note.className = "muted";
    img.onload = () => (note.textContent = loadedText());
    img.onerror = () => {
      // An <img> cannot read the error body; ask the API for its message.
      api(`/manifests/${manifest.id}/contact-sheet?page=${number}`).then(
        () => (note.textContent = "The contact sheet could not be displayed."),
        (error) => (note.textContent = errorText(error)),
      ).finally(() => (note.className = "error-text"));
    };
    img.alt = `Contact sheet of the manifest, page ${number}`;
    img.src = url;
    link.href = url;
    for (const button of list.querySelectorAll("button")) {
      const current = Number(/** @type {HTMLElement} */ (button).dataset.page) === number;
      if (current) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
  }

  function drawList() {
    replace(
      list,
      pages.length === 0 ? null : h(
        "ol",
        { class: "sheet-pages" },
        pages.map((page) =>
          h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "sheet-page",
                dataset: { page: String(page.page) },
                "aria-current": page.page === shown ? "page" : null,
                onclick: () => show(page.page),
              },
              // The text names the page; the picture only repeats it.
              h("img", { src: pageSrc(manifest, page.page), alt: "", loading: "lazy" }),
              h("span", null, pageLabel(page, pages.length)),
            ),
          )
        ),
      ),
    );
  }

  replace(list, h("p", { class: "muted small" }, "Loading the pages…"));
  show(1);
  dialog.showModal();
  /** @type {Promise<unknown>} */ (api(`/manifests/${manifest.id}/contact-sheets`)).then(
    (body) => {
      pages = /** @type {{ items: ContactSheetPage[] }} */ (body).items;
      drawList();
      if (img.complete && img.naturalWidth > 0) note.textContent = loadedText();
    },
    (error) => replace(list, h("p", { class: "error-text small" }, errorText(error))),
  );
}
