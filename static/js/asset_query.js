/**
 * Filtering, searching, sorting and counting a manifest's assets in the page. The asset list
 * is JSON already loaded (`GET /manifests/{id}`), so a thousand assets are filtered in a
 * millisecond; only the page shown becomes DOM. No DOM here: tests import this module as is.
 *
 * @module
 */

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./api.js").Identity} Identity
 */

/**
 * What the person asked for. Empty strings mean "any".
 * @typedef {object} Query
 * @property {string} q search in tag, name and tags
 * @property {string} type an asset type
 * @property {string} role `upload`, `person`, `face` or `object`
 * @property {string} person an identity id, or `none`
 * @property {string} photo the id of the upload the assets come from
 * @property {string} quality a {@link QUALITY_BANDS} key
 * @property {boolean} errors only assets whose description failed
 * @property {string} sort a {@link SORTS} key
 */

/** The facets counted per value; `errors` is a yes/no facet. */
export const FACETS = /** @type {const} */ (["type", "role", "person", "photo", "quality"]);

/** @typedef {(typeof FACETS)[number]} Facet */

/** @type {Query} */
export const EMPTY_QUERY = Object.freeze({
  q: "",
  type: "",
  role: "",
  person: "",
  photo: "",
  quality: "",
  errors: false,
  sort: "photo",
});

/** Roles an asset can have in the filter: where it comes from. */
export const ROLES = /** @type {const} */ ([
  ["upload", "Uploads"],
  ["person", "Persons"],
  ["face", "Faces"],
  ["object", "Objects"],
]);

/** Quality ranges of the filter, best first, with their bounds (0–10). */
export const QUALITY_BANDS = /** @type {const} */ ([
  ["good", "7 – 10 (good)", 7, Infinity],
  ["fair", "4 – 7 (fair)", 4, 7],
  ["poor", "0 – 4 (poor)", -Infinity, 4],
  ["none", "Not scored yet", NaN, NaN],
]);

/** Orders of the list. */
export const SORTS = /** @type {const} */ ([
  ["photo", "Photo order"],
  ["quality_desc", "Quality, best first"],
  ["quality_asc", "Quality, worst first"],
  ["tag", "Tag"],
  ["confidence_desc", "Detection confidence"],
]);

const ROLE_ORDER = { person: 0, face: 1, object: 2 };

/**
 * What the queries need to know about the whole manifest, computed once per change of the
 * asset list rather than once per asset and keystroke.
 * @typedef {object} AssetIndex
 * @property {Map<string, Asset>} byId
 * @property {Map<string, Asset>} rootOf the upload each asset comes from (itself for uploads)
 */

/**
 * @param {Asset[]} assets
 * @returns {AssetIndex}
 */
export function indexAssets(assets) {
  const byId = new Map(assets.map((a) => [a.id, a]));
  /** @type {Map<string, Asset>} */
  const rootOf = new Map();
  for (const asset of assets) {
    /** @type {Asset | undefined} */
    let node = asset;
    // Bounded walk: a malformed cycle must not hang the page.
    for (let i = 0; i < 10 && node?.source_asset_id; i++) node = byId.get(node.source_asset_id);
    rootOf.set(asset.id, node ?? asset);
  }
  return { byId, rootOf };
}

/**
 * The filter value of `asset` for a facet.
 * @param {Asset} asset
 * @param {Facet} facet
 * @param {AssetIndex} index
 * @returns {string}
 */
export function facetValue(asset, facet, index) {
  switch (facet) {
    case "type":
      return asset.asset_type;
    case "role":
      return asset.source === "uploaded" ? "upload" : asset.extraction_role ?? "object";
    case "person":
      return asset.identity_id ?? "none";
    case "photo":
      return index.rootOf.get(asset.id)?.id ?? asset.id;
    case "quality":
      return qualityBand(asset.quality_score);
  }
}

/**
 * @param {number | null} score
 * @returns {string}
 */
function qualityBand(score) {
  if (score === null || score === undefined) return "none";
  for (const [key, , low, high] of QUALITY_BANDS) if (score >= low && score < high) return key;
  return "none";
}

/**
 * Whether `asset` passes the search and every filter but `except`.
 * @param {Asset} asset
 * @param {Query} query
 * @param {AssetIndex} index
 * @param {Facet | "errors" | null} [except]
 */
function passes(asset, query, index, except = null) {
  for (const facet of FACETS) {
    const wanted = query[facet];
    if (wanted && facet !== except && facetValue(asset, facet, index) !== wanted) return false;
  }
  if (query.errors && except !== "errors" && !asset.prompt_error) return false;
  return !query.q || searchText(asset).includes(query.q.trim().toLowerCase());
}

/** @param {Asset} asset */
function searchText(asset) {
  return [asset.manifest_tag ?? "", asset.name, ...asset.user_tags].join("\n").toLowerCase();
}

/**
 * `CHAR_12` → 12, so tags sort as numbers.
 * @param {string | null} tag
 */
const tagNumber = (tag) => Number(tag?.match(/_(\d+)$/)?.[1] ?? Infinity);

/**
 * @param {string | null} tag
 */
const tagPrefix = (tag) => tag?.replace(/_\d+$/, "") ?? "";

/**
 * The comparator of a sort.
 * @param {string} sort
 * @param {AssetIndex} index
 * @returns {(a: Asset, b: Asset) => number}
 */
function comparator(sort, index) {
  /** @param {Asset} a @param {Asset} b */
  const photoOrder = (a, b) => {
    const ra = /** @type {Asset} */ (index.rootOf.get(a.id));
    const rb = /** @type {Asset} */ (index.rootOf.get(b.id));
    return ra.sort_order - rb.sort_order || ra.created_at.localeCompare(rb.created_at) ||
      ra.id.localeCompare(rb.id) ||
      // The upload first, then its persons, faces and objects, each by tag.
      Number(a.source !== "uploaded") - Number(b.source !== "uploaded") ||
      (ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (a.extraction_role)] ?? 3) -
        (ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (b.extraction_role)] ?? 3) ||
      tagNumber(a.manifest_tag) - tagNumber(b.manifest_tag) ||
      (b.detection_confidence ?? 0) - (a.detection_confidence ?? 0);
  };
  /** @param {number | null} n */
  const score = (n) => n ?? -1;
  switch (sort) {
    case "quality_desc":
      return (a, b) => score(b.quality_score) - score(a.quality_score) || photoOrder(a, b);
    case "quality_asc":
      // Unscored assets last: they are not "worst", they are not known yet.
      return (a, b) => (a.quality_score ?? 11) - (b.quality_score ?? 11) || photoOrder(a, b);
    case "tag":
      return (a, b) =>
        // Untagged last: they get tags when processing ends.
        Number(a.manifest_tag === null) - Number(b.manifest_tag === null) ||
        tagPrefix(a.manifest_tag).localeCompare(tagPrefix(b.manifest_tag)) ||
        tagNumber(a.manifest_tag) - tagNumber(b.manifest_tag) || photoOrder(a, b);
    case "confidence_desc":
      return (a, b) =>
        (b.detection_confidence ?? -1) - (a.detection_confidence ?? -1) || photoOrder(a, b);
    default:
      return photoOrder;
  }
}

/**
 * The assets that pass `query`, in its order.
 * @param {Asset[]} assets
 * @param {Query} query
 * @param {AssetIndex} index
 * @returns {Asset[]}
 */
export function runQuery(assets, query, index) {
  return assets.filter((a) => passes(a, query, index)).sort(comparator(query.sort, index));
}

/**
 * How many assets each value of each facet would show, the other filters (and the search)
 * staying as they are: what choosing that value next would give.
 * @param {Asset[]} assets
 * @param {Query} query
 * @param {AssetIndex} index
 * @returns {Record<Facet, Map<string, number>> & { errors: number }}
 */
export function facetCounts(assets, query, index) {
  const counts = /** @type {Record<Facet, Map<string, number>> & { errors: number }} */ ({
    errors: 0,
  });
  for (const facet of FACETS) {
    const map = new Map();
    for (const asset of assets) {
      if (!passes(asset, query, index, facet)) continue;
      const value = facetValue(asset, facet, index);
      map.set(value, (map.get(value) ?? 0) + 1);
    }
    counts[facet] = map;
  }
  for (const asset of assets) {
    if (asset.prompt_error && passes(asset, query, index, "errors")) counts.errors++;
  }
  return counts;
}

/**
 * A query from the address's parameters; unknown values fall back to "any".
 * @param {Record<string, string | undefined>} params
 * @returns {Query}
 */
export function queryFrom(params) {
  const sort = SORTS.some(([key]) => key === params.sort) ? String(params.sort) : "photo";
  return {
    q: params.q ?? "",
    type: params.type ?? "",
    role: ROLES.some(([key]) => key === params.role) ? String(params.role) : "",
    person: params.person ?? "",
    photo: params.photo ?? "",
    quality: QUALITY_BANDS.some(([key]) => key === params.quality) ? String(params.quality) : "",
    errors: params.errors === "1",
    sort,
  };
}

/**
 * The address parameters of a query: only what differs from {@link EMPTY_QUERY}.
 * @param {Query} query
 * @returns {URLSearchParams}
 */
export function queryParams(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    const empty = EMPTY_QUERY[/** @type {keyof Query} */ (key)];
    if (value === empty) continue;
    params.set(key, value === true ? "1" : String(value));
  }
  return params;
}

/**
 * Whether any filter or the search is set (the sort is not a filter).
 * @param {Query} query
 */
export function isFiltered(query) {
  return Boolean(query.q || query.errors || FACETS.some((facet) => query[facet]));
}
