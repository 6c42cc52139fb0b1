/**
 * Pages of a long list: previous, next, "page 3 of 13", and how many per page. The list
 * shows one page, so the page holds a bounded number of elements whatever the list's size.
 *
 * @module
 */
import { h } from "./dom.js";

/** Choices of page size; the first is the default. */
export const PAGE_SIZES = [60, 120, 240];

/**
 * A pager; `update` redraws it, `onChange` receives the page (0-based) and size chosen.
 * @param {{ label: string, onChange: (page: number, size: number) => void }} options
 *   `label` names the navigation landmark, e.g. "Asset pages"
 */
export function createPager({ label, onChange }) {
  let page = 0;
  let pages = 1;
  let size = PAGE_SIZES[0];
  const previous = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    onclick: () => page > 0 && onChange(page - 1, size),
  }, "← Previous"));
  const next = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    onclick: () => page < pages - 1 && onChange(page + 1, size),
  }, "Next →"));
  const where = h("span", { class: "pager-where" });
  const id = `page-size-${label.replace(/\W+/g, "-").toLowerCase()}`;
  const sizeSelect = /** @type {HTMLSelectElement} */ (h(
    "select",
    {
      id,
      onchange: () => onChange(0, Number(sizeSelect.value)),
    },
    PAGE_SIZES.map((n) => h("option", { value: String(n) }, String(n))),
  ));
  const element = h(
    "nav",
    { class: "pager row wrap", "aria-label": label },
    previous,
    where,
    next,
    h("label", { for: id, class: "small muted" }, "Per page"),
    sizeSelect,
  );
  return {
    element,
    /**
     * @param {number} current 0-based
     * @param {number} count pages in all (at least 1)
     * @param {number} perPage
     */
    update(current, count, perPage) {
      page = current;
      pages = Math.max(1, count);
      size = perPage;
      // aria-disabled rather than disabled: a disabled button drops the keyboard focus, and
      // the person pressing Next on the last page would be thrown back to the top.
      previous.setAttribute("aria-disabled", String(page <= 0));
      next.setAttribute("aria-disabled", String(page >= pages - 1));
      where.textContent = `Page ${page + 1} of ${pages}`;
      sizeSelect.value = String(size);
    },
  };
}
