import assert from "node:assert/strict";
import {
  buildRegistry,
  compareTags,
  type RegistryAsset,
  renderRegistryBlock,
  shorten,
} from "./registry.ts";

/** An asset with the registry's fields; everything not given is empty. */
function asset(fields: Partial<RegistryAsset> & Pick<RegistryAsset, "id">): RegistryAsset {
  return {
    manifest_tag: null,
    name: fields.id,
    asset_type: "OTHER",
    quality_score: null,
    reverse_prompt: null,
    visual_description: null,
    description: null,
    user_tags: "[]",
    source: "extracted",
    source_asset_id: null,
    extraction_role: null,
    detection_class: null,
    identity_id: null,
    ...fields,
  };
}

/** A fixed manifest: one person seen four times, another once, a street, a bicycle. */
const ASSETS: RegistryAsset[] = [
  asset({
    id: "street",
    manifest_tag: "ENV_01",
    name: "Rainy street",
    asset_type: "ENVIRONMENT",
    quality_score: 7.2,
    source: "uploaded",
    reverse_prompt: "A narrow cobbled street at dusk, wet stones reflecting warm shop windows, " +
      "light drizzle, two pedestrians under umbrellas, muted teal and amber palette, 35mm lens, " +
      "eye level, shallow depth of field, cinematic grading with soft halation around lights",
  }),
  asset({
    id: "mara-photo",
    manifest_tag: "CHAR_01",
    name: "Mara",
    asset_type: "CHARACTER",
    quality_score: 8.1,
    source: "uploaded",
    identity_id: "mara",
    reverse_prompt: "Woman in her thirties, short black hair, red wool coat, calm expression",
    user_tags: JSON.stringify(["lead", "hero"]),
    description: "Always wears the red coat.",
  }),
  asset({
    id: "mara-face",
    manifest_tag: "CHAR_02",
    name: "Face 1",
    asset_type: "CHARACTER",
    quality_score: 9.4,
    source_asset_id: "street",
    extraction_role: "face",
    identity_id: "mara",
    reverse_prompt: "Close-up of a woman's face",
  }),
  asset({
    id: "mara-person",
    manifest_tag: "CHAR_10",
    name: "Person 1",
    asset_type: "CHARACTER",
    quality_score: 5.5,
    source_asset_id: "street",
    extraction_role: "person",
    detection_class: "person",
    identity_id: "mara",
  }),
  asset({
    id: "mara-face-2",
    manifest_tag: "CHAR_03",
    name: "Face 2",
    asset_type: "CHARACTER",
    quality_score: 6,
    source_asset_id: "mara-photo",
    extraction_role: "face",
    identity_id: "mara",
  }),
  asset({
    id: "passer-by",
    manifest_tag: "CHAR_04",
    name: "Face 3",
    asset_type: "CHARACTER",
    quality_score: 4.3,
    source_asset_id: "street",
    extraction_role: "face",
    identity_id: "passer",
    visual_description: "A man with a grey beard, seen from the side.",
  }),
  asset({
    id: "bike",
    manifest_tag: "OBJ_01",
    name: "Bicycle",
    asset_type: "OBJECT",
    quality_score: 7.2,
    source_asset_id: "street",
    extraction_role: "object",
    detection_class: "bicycle",
    reverse_prompt: "A black city bicycle leaning on a lamp post",
  }),
  // Not tagged yet (added after processing): not in the registry.
  asset({ id: "new", name: "Sketch", asset_type: "STYLE", source: "uploaded" }),
];

const IDENTITIES = [
  { id: "mara", primary_asset_id: "mara-photo", name: "Mara" },
  { id: "passer", primary_asset_id: "passer-by", name: null },
];

const SNAPSHOT = `MANIFEST REGISTRY: "Night walk" (version 12)
4 entries, 2 of them characters, best reference quality first.
Refer to an asset only by its tag in brackets. Tags listed under "also" are other pictures of the same entry; do not use them as separate assets.

[CHAR_01] Mara · CHARACTER · quality 8.1/10
  also: CHAR_02, CHAR_03, CHAR_10 (same person)
  prompt: Woman in her thirties, short black hair, red wool coat, calm expression
  notes: 4 reference images (2 face crops, 1 person crop, 1 upload) in CHAR_01, ENV_01; user tags: lead, hero; user note: Always wears the red coat.

[ENV_01] Rainy street · ENVIRONMENT · quality 7.2/10
  prompt: A narrow cobbled street at dusk, wet stones reflecting warm shop windows, light drizzle, two pedestrians under umbrellas, muted teal and amber palette, 35mm lens, eye level…
  notes: uploaded reference photo

[OBJ_01] Bicycle · OBJECT · quality 7.2/10
  prompt: A black city bicycle leaning on a lamp post
  notes: object crop (bicycle) from ENV_01

[CHAR_04] Face 3 · CHARACTER · quality 4.3/10
  prompt: A man with a grey beard, seen from the side.
  notes: face crop from ENV_01
`;

Deno.test("the registry block of a fixed manifest is exactly the snapshot", () => {
  const registry = buildRegistry({ name: "Night walk", version: 12 }, ASSETS, IDENTITIES);
  assert.equal(renderRegistryBlock(registry), SNAPSHOT);
});

Deno.test("the crops of one identity appear once, under the primary's tag, with their aliases", () => {
  const registry = buildRegistry({ name: "Night walk", version: 12 }, ASSETS, IDENTITIES);
  assert.deepEqual(registry.primaryTags, ["CHAR_01", "ENV_01", "OBJ_01", "CHAR_04"]);
  const block = renderRegistryBlock(registry);
  for (const alias of ["CHAR_02", "CHAR_03", "CHAR_10"]) {
    assert.equal(block.split(alias).length - 1, 1, `${alias} is listed once, as an alias`);
    assert.equal(registry.primaryOf.get(alias), "CHAR_01");
  }
  assert.ok(!block.includes("[CHAR_02]"));
  assert.ok(!block.includes("Sketch"), "an untagged asset is not offered");
  assert.equal(registry.hasCharacters, true);
});

Deno.test("the registry does not depend on the order rows come in", () => {
  const forward = renderRegistryBlock(buildRegistry({ name: "N", version: 1 }, ASSETS, IDENTITIES));
  const backward = renderRegistryBlock(
    buildRegistry({ name: "N", version: 1 }, [...ASSETS].reverse(), [...IDENTITIES].reverse()),
  );
  assert.equal(backward, forward);
});

Deno.test("an identity whose primary asset is gone is headed by its best member", () => {
  const registry = buildRegistry(
    { name: "N", version: 1 },
    ASSETS.filter((a) => a.id !== "mara-photo"),
    IDENTITIES,
  );
  const mara = registry.entries.find((entry) => entry.aliases.includes("CHAR_03"));
  assert.equal(mara?.tag, "CHAR_02");
  assert.deepEqual(mara?.aliases, ["CHAR_03", "CHAR_10"]);
});

Deno.test("a registry without characters allows declaring one", () => {
  const objects = ASSETS.filter((a) => a.asset_type !== "CHARACTER");
  const registry = buildRegistry({ name: "N", version: 1 }, objects, []);
  assert.equal(registry.hasCharacters, false);
  assert.deepEqual(registry.primaryTags, ["ENV_01", "OBJ_01"]);
});

Deno.test("tags sort by prefix, then by number", () => {
  assert.deepEqual(
    ["CHAR_10", "ENV_01", "CHAR_2", "CHAR_01"].sort(compareTags),
    ["CHAR_01", "CHAR_2", "CHAR_10", "ENV_01"],
  );
});

Deno.test("shorten cuts at a word boundary and says so", () => {
  assert.equal(shorten("  short\n text ", 40), "short text");
  assert.equal(shorten("one two three four five", 16), "one two three…");
});
