import assert from "node:assert/strict";
import { storyboardAnswer } from "../../tests/fakes/storyboard_answer.ts";
import { buildRegistry, type RegistryAsset } from "./registry.ts";
import { EnhancedStoryboardOutput } from "./schemas.ts";
import { describeProblems, unknownTags, validateStoryboard } from "./validate.ts";

function asset(id: string, tag: string, type: string, identity: string | null = null) {
  return {
    id,
    manifest_tag: tag,
    name: id,
    asset_type: type,
    quality_score: 5,
    reverse_prompt: null,
    visual_description: null,
    description: null,
    user_tags: "[]",
    source: "uploaded",
    source_asset_id: null,
    extraction_role: null,
    detection_class: null,
    identity_id: identity,
  } satisfies RegistryAsset;
}

const REGISTRY = buildRegistry(
  { name: "Cast", version: 3 },
  [
    asset("a", "CHAR_01", "CHARACTER", "ana"),
    asset("b", "CHAR_02", "CHARACTER", "ana"),
    asset("c", "ENV_01", "ENVIRONMENT"),
  ],
  [{ id: "ana", primary_asset_id: "a", name: "Ana" }],
);

function parse(doc: unknown) {
  return EnhancedStoryboardOutput.parse(doc);
}

Deno.test("a valid storyboard passes unchanged", () => {
  const input = parse(storyboardAnswer([{ tags: ["CHAR_01", "ENV_01"], speaks: true }], {
    characterTag: "CHAR_01",
  }));
  const result = validateStoryboard(input, REGISTRY);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.storyboard, input);
  assert.deepEqual(result.aliasesMapped, []);
});

Deno.test("alias tags become their entry's tag everywhere, and the input is not changed", () => {
  const input = parse(storyboardAnswer([{ tags: ["CHAR_02", "ENV_01"], speaks: true }], {
    characterTag: "CHAR_02",
  }));
  const result = validateStoryboard(input, REGISTRY);
  assert.deepEqual(result.problems, []);
  const scene = result.storyboard.scenes[0];
  assert.equal(scene.scene_manifest.placements[0].asset_tag, "CHAR_01");
  assert.equal(scene.audio_manifest.dialogue_lines[0].speaker_tag, "CHAR_01");
  assert.equal(result.storyboard.characters[0].asset_tag, "CHAR_01");
  assert.equal(scene.scene_manifest.composition.focal_point, "CHAR_01");
  assert.equal(result.aliasesMapped.length, 4);
  assert.equal(input.scenes[0].scene_manifest.placements[0].asset_tag, "CHAR_02");
});

Deno.test("unknown tags are problems with their paths, never guessed", () => {
  const input = parse(storyboardAnswer([
    { tags: ["CHAR_01"] },
    { tags: ["CHAR_99", "ENV_01"], speaks: true },
  ]));
  const result = validateStoryboard(input, REGISTRY);
  assert.deepEqual(unknownTags(result.problems), ["CHAR_99"]);
  assert.deepEqual(result.problems.map((p) => p.path), [
    "scenes[1].scene_manifest.placements[0].asset_tag",
    "scenes[1].audio_manifest.dialogue_lines[0].speaker_tag",
  ]);
  assert.equal(result.storyboard.scenes[1].scene_manifest.placements[0].asset_tag, "CHAR_99");
  assert.match(describeProblems(result.problems)[0], /CHAR_99, which is not a tag/);
});

Deno.test("scene indices become 0…n-1 in array order, in all three places", () => {
  const input = parse(storyboardAnswer([
    { tags: ["ENV_01"], index: 4 },
    { tags: ["ENV_01"], index: 4 },
    { tags: ["ENV_01"], index: 0 },
  ]));
  const result = validateStoryboard(input, REGISTRY);
  assert.deepEqual(
    result.storyboard.scenes.map((s) => [
      s.scene_index,
      s.scene_manifest.scene_index,
      s.audio_manifest.scene_index,
      s.scene_description,
    ]),
    [0, 1, 2].map((i) => [i, i, i, `Scene written at position ${i}`]),
  );
  assert.equal(result.indicesFixed.length, 9, "three indices in each of three scenes");
});

Deno.test("declaring a CHARACTER is a problem only while the registry has characters", () => {
  const input = parse(storyboardAnswer([{
    tags: ["ENV_01"],
    declares: [{ name: "Stranger", asset_type: "CHARACTER" }, { name: "Lamp", asset_type: "PROP" }],
  }]));
  const result = validateStoryboard(input, REGISTRY);
  assert.deepEqual(result.problems, [{
    path: "scenes[0].scene_manifest.new_asset_declarations[0].asset_type",
    kind: "character_declaration",
    value: "Stranger",
  }]);
  const noCast = buildRegistry(
    { name: "Set", version: 1 },
    [asset("c", "ENV_01", "ENVIRONMENT")],
    [],
  );
  assert.deepEqual(validateStoryboard(input, noCast).problems, []);
});
