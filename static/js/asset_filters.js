/**
 * The search, filters and sort above the asset grid. Every choice of a filter says how many
 * assets it would show (the other filters staying as they are), so a person never picks a
 * filter that empties the grid by surprise.
 *
 * @module
 */
import { QUALITY_BANDS, ROLES, SORTS } from "./asset_query.js";
import { debounce, h } from "./dom.js";
import { ASSET_TYPES } from "./vocabulary.js";

/**
 * @typedef {import("./asset_query.js").Query} Query
 * @typedef {import("./asset_query.js").Facet} Facet
 * @typedef {ReturnType<typeof import("./asset_query.js").facetCounts>} Counts
 * @typedef {import("./api.js").Asset} Asset
 */

/**
 * What the lists of people and photos offer.
 * @typedef {object} FilterChoices
 * @property {{ id: string, label: string }[]} people
 * @property {{ id: string, label: string }[]} photos
 */

/**
 * Sets a select's options to `entries` (`[value, text]`), reusing the option elements when
 * the values are the same: an open list is not closed under the person's pointer when only
 * the counts change.
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} entries
 * @param {string} value the value to keep chosen
 */
function fillSelect(select, entries, value) {
  const options = /** @type {HTMLOptionElement[]} */ ([...select.options]);
  const same = options.length === entries.length &&
    options.every((option, i) => option.value === entries[i][0]);
  if (same) {
    options.forEach((option, i) => {
      if (option.textContent !== entries[i][1]) option.textContent = entries[i][1];
    });
  } else {
    select.replaceChildren(...entries.map(([v, text]) => h("option", { value: v }, text)));
  }
  // A value that is no longer offered (a person merged away) is still shown as chosen.
  if (!entries.some(([v]) => v === value)) {
    select.appendChild(h("option", { value }, "(no longer in this manifest)"));
  }
  select.value = value;
}

/**
 * @param {string} text
 * @param {number | undefined} n
 */
const counted = (text, n) => `${text} (${n ?? 0})`;

/**
 * Builds the filter bar; `update` redraws the counts and choices.
 * @param {{ onChange: (change: Partial<Query>) => void }} options
 */
export function createFilterBar({ onChange }) {
  /**
   * @param {string} id @param {string} label @param {keyof Query} key
   * @returns {[HTMLElement, HTMLSelectElement]}
   */
  const select = (id, label, key) => {
    const control = /** @type {HTMLSelectElement} */ (h("select", {
      id,
      onchange: () => onChange({ [key]: control.value }),
    }));
    return [h("div", { class: "field" }, h("label", { for: id }, label), control), control];
  };
  const search = /** @type {HTMLInputElement} */ (h("input", {
    id: "asset-search",
    type: "search",
    placeholder: "CHAR_03, coat, lead…",
    autocomplete: "off",
  }));
  const searchLater = debounce(() => onChange({ q: search.value }), 150);
  search.addEventListener("input", () => searchLater());
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") searchLater.flush();
  });
  const [typeField, type] = select("filter-type", "Type", "type");
  const [roleField, role] = select("filter-role", "Role", "role");
  const [personField, person] = select("filter-person", "Person", "person");
  const [photoField, photo] = select("filter-photo", "Source photo", "photo");
  const [qualityField, quality] = select("filter-quality", "Quality", "quality");
  const [sortField, sort] = select("asset-sort", "Sort by", "sort");
  fillSelect(sort, SORTS.map(([key, text]) => [key, text]), "photo");
  const errors = /** @type {HTMLInputElement} */ (h("input", {
    id: "filter-errors",
    type: "checkbox",
    onchange: () => onChange({ errors: errors.checked }),
  }));
  const errorsLabel = h("label", { for: "filter-errors" }, "Prompt errors");
  const clear = /** @type {HTMLButtonElement} */ (h("button", {
    type: "button",
    class: "small",
    onclick: () => {
      search.value = "";
      searchLater.cancel();
      onChange({ q: "", type: "", role: "", person: "", photo: "", quality: "", errors: false });
      search.focus(); // The button hides itself: the focus must not fall to the page's top.
    },
  }, "Clear filters"));
  const summary = h("p", { class: "filter-summary", role: "status" });

  const element = h(
    "div",
    { class: "filters", role: "search", "aria-label": "Find assets" },
    h(
      "div",
      { class: "field grow" },
      h("label", { for: "asset-search" }, "Search tag or name"),
      search,
    ),
    typeField,
    roleField,
    personField,
    photoField,
    qualityField,
    h("div", { class: "field check" }, errors, errorsLabel),
    sortField,
    h("div", { class: "row filter-end" }, summary, clear),
  );

  return {
    element,
    /**
     * @param {Query} query
     * @param {Counts} counts
     * @param {FilterChoices} choices
     * @param {{ shown: number, total: number, filtered: boolean }} totals
     */
    update(query, counts, choices, totals) {
      if (document.activeElement !== search && search.value !== query.q) search.value = query.q;
      /** @param {Facet} facet @param {string} any @param {[string, string][]} entries */
      const facet = (facet, any, entries) => {
        const all = [...counts[facet].values()].reduce((a, b) => a + b, 0);
        return /** @type {[string, string][]} */ ([
          ["", counted(any, all)],
          ...entries.map((
            [value, text],
          ) => /** @type {[string, string]} */ ([value, counted(text, counts[facet].get(value))])),
        ]);
      };
      fillSelect(type, facet("type", "Any type", ASSET_TYPES.map((t) => [t, t])), query.type);
      fillSelect(role, facet("role", "Any role", ROLES.map(([k, t]) => [k, t])), query.role);
      fillSelect(
        person,
        facet("person", "Anyone", [
          ["none", "No person"],
          ...choices.people.map((p) => /** @type {[string, string]} */ ([p.id, p.label])),
        ]),
        query.person,
      );
      fillSelect(
        photo,
        facet(
          "photo",
          "Any photo",
          choices.photos.map((p) => /** @type {[string, string]} */ ([p.id, p.label])),
        ),
        query.photo,
      );
      fillSelect(
        quality,
        facet("quality", "Any quality", QUALITY_BANDS.map(([k, t]) => [k, t])),
        query.quality,
      );
      fillSelect(sort, SORTS.map(([key, text]) => [key, text]), query.sort);
      errors.checked = query.errors;
      errorsLabel.textContent = counted("Prompt errors only", counts.errors);
      clear.hidden = !totals.filtered;
      summary.textContent = totals.filtered
        ? `${totals.shown} of ${totals.total} assets match`
        : `${totals.total} ${totals.total === 1 ? "asset" : "assets"}`;
    },
  };
}
