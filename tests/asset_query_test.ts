/**
 * The dashboard's asset filtering (static/js/asset_query.js), run as plain JavaScript: the
 * search, each filter, the counts each filter's choices show, the sorts, and the filters'
 * round trip through the address.
 */
import assert from "node:assert/strict";
import {
  EMPTY_QUERY,
  facetCounts,
  indexAssets,
  isFiltered,
  queryFrom,
  queryParams,
  runQuery,
} from "../static/js/asset_query.js";

// deno-lint-ignore no-explicit-any
type Asset = any;

let serial = 0;
function asset(fields: Partial<Asset>): Asset {
  serial++;
  return {
    id: `a${serial}`,
    asset_type: "CHARACTER",
    name: `Asset ${serial}`,
    manifest_tag: null,
    user_tags: [],
    source: "extracted",
    source_asset_id: null,
    extraction_role: null,
    sort_order: 0,
    quality_score: null,
    detection_confidence: null,
    identity_id: null,
    prompt_error: null,
    created_at: `2026-01-01T00:00:${String(serial).padStart(2, "0")}Z`,
    ...fields,
  };
}

const photo1 = asset({ id: "p1", source: "uploaded", name: "alley", manifest_tag: "ENV_01" });
const photo2 = asset({ id: "p2", source: "uploaded", name: "cafe", sort_order: 1 });
const person = asset({
  id: "c1",
  source_asset_id: "p1",
  extraction_role: "person",
  manifest_tag: "CHAR_02",
  quality_score: 8.1,
  detection_confidence: 0.7,
  identity_id: "i1",
});
const face = asset({
  id: "c2",
  source_asset_id: "c1",
  extraction_role: "face",
  manifest_tag: "CHAR_10",
  quality_score: 3.2,
  detection_confidence: 0.99,
  identity_id: "i1",
  user_tags: ["lead", "red coat"],
});
const bag = asset({
  id: "c3",
  source_asset_id: "p2",
  extraction_role: "object",
  asset_type: "PROP",
  manifest_tag: "PROP_01",
  quality_score: 5,
  detection_confidence: 0.5,
  prompt_error: "Timed out",
});
const all = [bag, face, photo2, person, photo1];
const index = indexAssets(all);
const ids = (list: Asset[]) => list.map((a) => a.id);

Deno.test("asset query: photo order puts each upload before its crops", () => {
  assert.deepEqual(ids(runQuery(all, EMPTY_QUERY, index)), ["p1", "c1", "c2", "p2", "c3"]);
});

Deno.test("asset query: each filter, and the search in tag, name and tags", () => {
  const q = (change: object) => ids(runQuery(all, { ...EMPTY_QUERY, ...change }, index));
  assert.deepEqual(q({ type: "PROP" }), ["c3"]);
  assert.deepEqual(q({ role: "upload" }), ["p1", "p2"]);
  assert.deepEqual(q({ role: "face" }), ["c2"]);
  assert.deepEqual(q({ person: "i1" }), ["c1", "c2"]);
  assert.deepEqual(q({ person: "none" }), ["p1", "p2", "c3"]);
  assert.deepEqual(q({ photo: "p1" }), ["p1", "c1", "c2"], "crops of crops belong to the photo");
  assert.deepEqual(q({ quality: "good" }), ["c1"]);
  assert.deepEqual(q({ quality: "fair" }), ["c3"]);
  assert.deepEqual(q({ quality: "poor" }), ["c2"]);
  assert.deepEqual(q({ quality: "none" }), ["p1", "p2"]);
  assert.deepEqual(q({ errors: true }), ["c3"]);
  assert.deepEqual(q({ q: "char_1" }), ["c2"]);
  assert.deepEqual(q({ q: "RED COAT" }), ["c2"]);
  assert.deepEqual(q({ q: " cafe " }), ["p2"]);
  assert.deepEqual(q({ photo: "p1", role: "face" }), ["c2"]);
});

Deno.test("asset query: a filter's counts ignore that filter and keep the others", () => {
  const counts = facetCounts(all, { ...EMPTY_QUERY, photo: "p1" }, index);
  assert.deepEqual(Object.fromEntries(counts.role), { upload: 1, person: 1, face: 1 });
  // The photo facet counts as if no photo were chosen: what choosing another would show.
  assert.deepEqual(Object.fromEntries(counts.photo), { p1: 3, p2: 2 });
  assert.equal(counts.errors, 0);
  assert.equal(facetCounts(all, EMPTY_QUERY, index).errors, 1);
});

Deno.test("asset query: sorts by quality, tag and confidence", () => {
  const sorted = (sort: string) => ids(runQuery(all, { ...EMPTY_QUERY, sort }, index));
  assert.deepEqual(sorted("quality_desc"), ["c1", "c3", "c2", "p1", "p2"]);
  assert.deepEqual(sorted("quality_asc"), ["c2", "c3", "c1", "p1", "p2"], "unscored last");
  assert.deepEqual(sorted("tag"), ["c1", "c2", "p1", "c3", "p2"], "by prefix, then number");
  assert.deepEqual(sorted("confidence_desc").slice(0, 3), ["c2", "c1", "c3"]);
});

Deno.test("asset query: the filters survive the address, unknown values do not", () => {
  const query = { ...EMPTY_QUERY, q: "coat", role: "face", errors: true, sort: "tag" };
  const params = queryParams(query);
  assert.equal(params.toString(), "q=coat&role=face&errors=1&sort=tag");
  assert.deepEqual(queryFrom(Object.fromEntries(params)), query);
  assert.deepEqual(queryFrom({ role: "wizard", sort: "random", quality: "best" }), EMPTY_QUERY);
  assert.equal(isFiltered(EMPTY_QUERY), false);
  assert.equal(isFiltered({ ...EMPTY_QUERY, sort: "tag" }), false, "a sort is not a filter");
  assert.equal(isFiltered(query), true);
});
