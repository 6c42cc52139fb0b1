import assert from "node:assert/strict";
import { z } from "zod";
import {
  ASSET_TYPES,
  EnhancedSceneSchema,
  EnhancedStoryboardOutput,
  SceneSchema,
  StoryboardOutput,
  storyboardOutputSchemaFor,
} from "./schemas.ts";

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hasDescription(node: Json): boolean {
  return typeof node.description === "string" && node.description.trim().length > 0;
}

/**
 * Walks a JSON schema (properties, items, prefixItems, anyOf/oneOf/allOf, additionalProperties,
 * $defs/definitions) and returns the paths of every object property — and every object schema —
 * that lacks a non-empty description.
 */
function undescribedPaths(root: Json): string[] {
  const missing: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (!isObj(node)) return;
    const isObjectSchema = node.type === "object" ||
      (Array.isArray(node.type) && node.type.includes("object")) || isObj(node.properties);
    if (isObjectSchema && !hasDescription(node)) missing.push(`${path} (object schema)`);
    if (isObj(node.properties)) {
      for (const [key, prop] of Object.entries(node.properties)) {
        const propPath = `${path}.properties.${key}`;
        if (!isObj(prop) || !hasDescription(prop)) missing.push(propPath);
        visit(prop, propPath);
      }
    }
    if (Array.isArray(node.items)) node.items.forEach((n, i) => visit(n, `${path}.items[${i}]`));
    else visit(node.items, `${path}.items`);
    for (const key of ["prefixItems", "anyOf", "oneOf", "allOf"] as const) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((n, i) => visit(n, `${path}.${key}[${i}]`));
    }
    visit(node.additionalProperties, `${path}.additionalProperties`);
    for (const key of ["$defs", "definitions"] as const) {
      const defs = node[key];
      if (isObj(defs)) {
        for (const [name, def] of Object.entries(defs)) visit(def, `${path}.${key}.${name}`);
      }
    }
  };
  visit(root, "#");
  return missing;
}

/** Follows `properties`/`items` by path, stepping through a nullable `anyOf` wrapper. */
function schemaAt(root: Json, path: string[]): Json {
  let node: Json = root;
  for (const step of path) {
    if (Array.isArray(node.anyOf)) {
      const branches = (node.anyOf as Json[]).filter((b) => b.type !== "null");
      assert.equal(branches.length, 1, `ambiguous anyOf before ${step}`);
      node = branches[0];
    }
    const next = step === "[]" ? node.items : (node.properties as Json | undefined)?.[step];
    assert.ok(isObj(next), `no schema at ${path.join(".")} (failed at ${step})`);
    node = next;
  }
  return node;
}

/** The non-null `enum` reachable at a JSON-schema node (plain, or inside a nullable anyOf). */
function enumAt(root: Json, path: string[]): unknown[] {
  const node = schemaAt(root, path);
  if (Array.isArray(node.enum)) return node.enum;
  const branch = (node.anyOf as Json[] | undefined)?.find((b) => Array.isArray(b.enum));
  assert.ok(branch, `no enum at ${path.join(".")}: ${JSON.stringify(node)}`);
  return branch.enum as unknown[];
}

/** A realistic two-scene storyboard; the second scene omits every optional field. */
function validStoryboard(): Json {
  return {
    style_guide: {
      visual_style: "Warm, painterly 2D animation with soft edges",
      color_palette: "Amber, teal and cream; low-saturation shadows",
      camera_style: "Mostly locked-off, occasional slow dolly moves, 35mm equivalent",
    },
    characters: [
      {
        name: "Mira",
        physical_description: "Girl of about ten, curly black hair, freckles, round glasses",
        clothing_description: "Yellow raincoat over a striped sweater, red boots",
        asset_tag: "CHAR_01",
      },
      {
        name: "Old Tomas",
        physical_description: "Tall, stooped man in his seventies with a white beard",
        clothing_description: "Patched brown cardigan, flat cap",
        // asset_tag omitted on purpose
      },
    ],
    scenes: [
      {
        scene_index: 0,
        scene_description: "Mira runs through the rainy market square toward the lighthouse.",
        key_details: ["yellow raincoat", "puddles reflecting lanterns", "lighthouse on the hill"],
        start_frame_prompt: "Wide shot of a rainy market square at dusk, girl in yellow raincoat",
        end_frame_prompt: "The girl reaches the foot of the lighthouse path",
        video_motion_prompt: "Girl runs left to right, camera tracks her, rain falls steadily",
        transition_notes: "Match cut on the lighthouse beam",
        scene_manifest: {
          scene_index: 0,
          composition: {
            shot_type: "wide_shot",
            camera_movement: "tracking",
            focal_point: "CHAR_01",
          },
          placements: [
            {
              asset_tag: "CHAR_01",
              role: "subject",
              position: "center",
              action: "Runs, splashing through puddles",
              expression: "Determined, slightly out of breath",
              wardrobe_note: "Hood up, raincoat wet",
            },
            { asset_tag: "ENV_01", role: "environment", position: "background", action: null },
          ],
          continuity_notes: "Rain intensity matches scene 1",
          new_asset_declarations: [
            {
              name: "Market lantern",
              asset_type: "PROP",
              description: "Brass lantern with amber glass hanging from a wooden stall",
            },
          ],
        },
        audio_manifest: {
          scene_index: 0,
          dialogue_lines: [
            {
              speaker_tag: "CHAR_01",
              speaker_name: "Mira",
              line: "Wait for me!",
              delivery: "shouted",
              timing: "mid-scene",
              emphasis: ["Wait"],
            },
          ],
          sfx: [
            {
              effect: "Boots splashing in puddles",
              trigger: "Mira running",
              timing: "throughout",
              volume: "prominent",
            },
          ],
          ambient: {
            base_layer: "Steady rain on cobblestones",
            environmental: "Distant market chatter",
            weather: "Light wind gusts",
          },
          music: {
            style: "Orchestral",
            mood: "Hopeful urgency",
            tempo: "accelerating",
            instruments: ["strings", "celesta"],
            transition: "fade in",
          },
          audio_continuity: { new_in_this_scene: ["rain"] },
        },
      },
      {
        scene_index: 1,
        scene_description: "Inside the lighthouse, Tomas looks up from his workbench.",
        key_details: ["spiral staircase", "workbench with lens parts"],
        start_frame_prompt: "Old man at a cluttered workbench, warm lamp light",
        end_frame_prompt: "Old man turns toward the door",
        video_motion_prompt: "Slow push-in as he turns his head",
        transition_notes: "Cut to black",
        scene_manifest: {
          scene_index: 1,
          composition: {
            shot_type: "medium_shot",
            camera_movement: "dolly_forward",
            focal_point: "The old man's face",
          },
          placements: [{ asset_tag: "ENV_02", role: "environment", position: "background" }],
        },
        audio_manifest: { scene_index: 1 },
      },
    ],
  };
}

// --------------------------------------------------------------------------- (1) descriptions

Deno.test("every property and object schema in the JSON schema has a description", () => {
  const constrained = storyboardOutputSchemaFor(["CHAR_01", "ENV_01"], {
    allowCharacterDeclarations: false,
  });
  const cases = {
    "EnhancedStoryboardOutput": z.toJSONSchema(EnhancedStoryboardOutput),
    "EnhancedStoryboardOutput io=input": z.toJSONSchema(EnhancedStoryboardOutput, { io: "input" }),
    "EnhancedStoryboardOutput io=input openapi-3.0": z.toJSONSchema(EnhancedStoryboardOutput, {
      io: "input",
      target: "openapi-3.0",
    }),
    "StoryboardOutput": z.toJSONSchema(StoryboardOutput),
    "constrained io=input": z.toJSONSchema(constrained, { io: "input" }),
    "constrained io=output": z.toJSONSchema(constrained, { io: "output" }),
  };
  for (const [name, schema] of Object.entries(cases)) {
    const missing = undescribedPaths(schema as Json);
    assert.deepEqual(missing, [], `${name}: missing descriptions at\n  ${missing.join("\n  ")}`);
  }
});

Deno.test("the description walker does catch missing descriptions (incl. $defs)", () => {
  const Shared = z.object({ x: z.string() }).meta({ id: "Shared" });
  const schema = z.object({ a: Shared.describe("a"), b: z.number() }).describe("root");
  const json = z.toJSONSchema(schema) as Json;
  assert.ok(isObj(json.$defs), "expected $defs for a schema with an id");
  assert.deepEqual(undescribedPaths(json).sort(), [
    "#.$defs.Shared (object schema)",
    "#.$defs.Shared.properties.x",
    "#.properties.b",
  ]);
});

Deno.test("optional fields: not required in io=input, required+nullable in io=output", () => {
  const input = z.toJSONSchema(EnhancedStoryboardOutput, { io: "input" }) as Json;
  const output = z.toJSONSchema(EnhancedStoryboardOutput, { io: "output" }) as Json;
  const placementPath = ["scenes", "[]", "scene_manifest", "placements", "[]"];
  const inPlacement = schemaAt(input, placementPath);
  const outPlacement = schemaAt(output, placementPath);
  assert.deepEqual(inPlacement.required, ["asset_tag", "role", "position"]);
  assert.deepEqual(outPlacement.required, [
    "asset_tag",
    "role",
    "position",
    "action",
    "expression",
    "wardrobe_note",
  ]);
  const action = schemaAt(input, [...placementPath, "action"]);
  assert.deepEqual(action.type, ["string", "null"]);
  assert.equal(action.default, null);
  assert.equal(inPlacement.additionalProperties, undefined);
  assert.equal(outPlacement.additionalProperties, false);
  assert.deepEqual(schemaAt(input, ["scenes", "[]", "audio_manifest", "sfx"]).default, []);
});

// --------------------------------------------------------------------------- (2) valid input

Deno.test("a realistic two-scene storyboard parses and omitted optionals get defaults", () => {
  const parsed = EnhancedStoryboardOutput.parse(validStoryboard());
  assert.equal(parsed.scenes.length, 2);
  assert.equal(parsed.characters[0].asset_tag, "CHAR_01");
  assert.equal(parsed.characters[1].asset_tag, null);

  const [first, second] = parsed.scenes;
  assert.equal(first.scene_manifest.placements[0].expression, "Determined, slightly out of breath");
  assert.deepEqual(first.scene_manifest.placements[1], {
    asset_tag: "ENV_01",
    role: "environment",
    position: "background",
    action: null,
    expression: null,
    wardrobe_note: null,
  });
  assert.equal(first.scene_manifest.new_asset_declarations?.[0].asset_type, "PROP");
  assert.equal(first.audio_manifest.ambient?.time_cues, null);
  assert.deepEqual(first.audio_manifest.audio_continuity, {
    carries_from_previous: [],
    new_in_this_scene: ["rain"],
    cuts_from_previous: [],
  });
  assert.deepEqual(first.audio_manifest.music?.instruments, ["strings", "celesta"]);
  assert.equal(first.audio_manifest.dialogue_lines[0].delivery, "shouted");

  assert.equal(second.scene_manifest.continuity_notes, null);
  assert.equal(second.scene_manifest.new_asset_declarations, null);
  assert.deepEqual(second.audio_manifest, {
    scene_index: 1,
    dialogue_lines: [],
    sfx: [],
    ambient: null,
    music: null,
    audio_continuity: null,
  });
});

Deno.test("explicit nulls are accepted and list defaults are fresh per parse", () => {
  const input = validStoryboard() as { scenes: Json[] };
  input.scenes[1].audio_manifest = {
    scene_index: 1,
    ambient: null,
    music: null,
    audio_continuity: { carries_from_previous: ["rain"] },
  };
  const a = EnhancedStoryboardOutput.parse(input);
  const b = EnhancedStoryboardOutput.parse(input);
  assert.equal(a.scenes[1].audio_manifest.music, null);
  const sfxA = a.scenes[1].audio_manifest.sfx;
  sfxA.push({ effect: "x", trigger: "y", timing: "z", volume: "subtle" });
  assert.deepEqual(b.scenes[1].audio_manifest.sfx, []);
  assert.notEqual(sfxA, b.scenes[1].audio_manifest.sfx);
});

Deno.test("unknown keys are stripped, base StoryboardOutput accepts the enhanced scenes", () => {
  const input = validStoryboard() as { scenes: Json[] };
  input.scenes[0].extra_field = "ignored";
  const parsed = EnhancedStoryboardOutput.parse(input);
  assert.ok(!("extra_field" in parsed.scenes[0]));
  const base = StoryboardOutput.parse(input);
  assert.ok(!("scene_manifest" in base.scenes[0]));
});

// --------------------------------------------------------------------------- (3) invalid input

Deno.test("missing composition fails with the path to it", () => {
  const input = validStoryboard() as { scenes: { scene_manifest: Json }[] };
  delete input.scenes[1].scene_manifest.composition;
  const result = EnhancedStoryboardOutput.safeParse(input);
  assert.equal(result.success, false);
  const paths = result.error!.issues.map((i) => i.path.join("."));
  assert.deepEqual(paths, ["scenes.1.scene_manifest.composition"]);
  assert.equal(result.error!.issues[0].code, "invalid_type");
});

Deno.test("wrong types fail with useful issue paths", () => {
  const input = validStoryboard() as { scenes: Json[] };
  input.scenes[0].scene_index = "zero";
  (input.scenes[0].audio_manifest as Json).dialogue_lines = [{ speaker_tag: 1 }];
  (input.scenes[1].scene_manifest as Json).placements = "ENV_02";
  const result = EnhancedStoryboardOutput.safeParse(input);
  assert.equal(result.success, false);
  const paths = result.error!.issues.map((i) => i.path.join(".")).sort();
  assert.deepEqual(paths, [
    "scenes.0.audio_manifest.dialogue_lines.0.line",
    "scenes.0.audio_manifest.dialogue_lines.0.speaker_name",
    "scenes.0.audio_manifest.dialogue_lines.0.speaker_tag",
    "scenes.0.audio_manifest.dialogue_lines.0.timing",
    "scenes.0.scene_index",
    "scenes.1.scene_manifest.placements",
  ]);
  assert.match(z.prettifyError(result.error!), /scenes\[0\]\.scene_index/);
});

Deno.test("negative and fractional scene_index are rejected", () => {
  for (const bad of [-1, 1.5]) {
    const input = validStoryboard() as { scenes: Json[] };
    input.scenes[0].scene_index = bad;
    const result = EnhancedStoryboardOutput.safeParse(input);
    assert.equal(result.success, false, `scene_index ${bad} accepted`);
    assert.deepEqual(result.error!.issues[0].path, ["scenes", 0, "scene_index"]);
  }
});

// --------------------------------------------------------------------------- (4) constrained

Deno.test("constrained schema: tag fields are enums of exactly the manifest tags", () => {
  const tags = ["CHAR_01", "ENV_01", "ENV_02"];
  const schema = storyboardOutputSchemaFor(tags, { allowCharacterDeclarations: true });
  for (const io of ["input", "output"] as const) {
    const json = z.toJSONSchema(schema, { io }) as Json;
    const scene = ["scenes", "[]"];
    assert.deepEqual(
      enumAt(json, [...scene, "scene_manifest", "placements", "[]", "asset_tag"]),
      tags,
    );
    assert.deepEqual(
      enumAt(json, [...scene, "audio_manifest", "dialogue_lines", "[]", "speaker_tag"]),
      tags,
    );
    assert.deepEqual(enumAt(json, ["characters", "[]", "asset_tag"]), tags);
    // focal_point stays free text
    const focal = schemaAt(json, [...scene, "scene_manifest", "composition", "focal_point"]);
    assert.equal(focal.type, "string");
    assert.equal(focal.enum, undefined);
    assert.deepEqual(
      enumAt(json, [...scene, "scene_manifest", "new_asset_declarations", "[]", "asset_type"]),
      [...ASSET_TYPES],
    );
  }
  // The plain schema is unconstrained.
  const plain = z.toJSONSchema(EnhancedStoryboardOutput) as Json;
  assert.equal(
    schemaAt(plain, ["scenes", "[]", "scene_manifest", "placements", "[]", "asset_tag"]).enum,
    undefined,
  );

  assert.ok(schema.safeParse(validStoryboard()).success);
  // Duplicate tags collapse, order kept.
  const dup = storyboardOutputSchemaFor(["B", "A", "B"], { allowCharacterDeclarations: true });
  assert.deepEqual(enumAt(z.toJSONSchema(dup) as Json, ["characters", "[]", "asset_tag"]), [
    "B",
    "A",
  ]);
});

Deno.test("constrained schema rejects unknown tags at every tag field", () => {
  const schema = storyboardOutputSchemaFor(["CHAR_01", "ENV_01", "ENV_02"], {
    allowCharacterDeclarations: true,
  });
  const input = validStoryboard() as {
    characters: Json[];
    scenes: {
      scene_manifest: { placements: Json[] };
      audio_manifest: { dialogue_lines: Json[] };
    }[];
  };
  input.scenes[0].scene_manifest.placements[1].asset_tag = "ENV_99";
  input.scenes[0].audio_manifest.dialogue_lines[0].speaker_tag = "CHAR_07";
  input.characters[1].asset_tag = "CHAR_02";
  const result = schema.safeParse(input);
  assert.equal(result.success, false);
  const issues = result.error!.issues.map((i) => [i.path.join("."), i.code]).sort();
  assert.deepEqual(issues, [
    ["characters.1.asset_tag", "invalid_value"],
    ["scenes.0.audio_manifest.dialogue_lines.0.speaker_tag", "invalid_value"],
    ["scenes.0.scene_manifest.placements.1.asset_tag", "invalid_value"],
  ]);
  // null is still fine for the character's optional tag
  input.scenes[0].scene_manifest.placements[1].asset_tag = "ENV_01";
  input.scenes[0].audio_manifest.dialogue_lines[0].speaker_tag = "CHAR_01";
  input.characters[1].asset_tag = null;
  assert.ok(schema.safeParse(input).success);
});

Deno.test("constrained schema: CHARACTER declarations only when allowed", () => {
  const tags = ["CHAR_01", "ENV_01", "ENV_02"];
  const withCharacter = () => {
    const input = validStoryboard() as { scenes: { scene_manifest: Json }[] };
    input.scenes[1].scene_manifest.new_asset_declarations = [
      { name: "Postman", asset_type: "CHARACTER", description: "Young postman on a bicycle" },
    ];
    return input;
  };
  const strict = storyboardOutputSchemaFor(tags, { allowCharacterDeclarations: false });
  const result = strict.safeParse(withCharacter());
  assert.equal(result.success, false);
  assert.deepEqual(result.error!.issues.map((i) => i.path.join(".")), [
    "scenes.1.scene_manifest.new_asset_declarations.0.asset_type",
  ]);
  const strictEnum = enumAt(z.toJSONSchema(strict) as Json, [
    "scenes",
    "[]",
    "scene_manifest",
    "new_asset_declarations",
    "[]",
    "asset_type",
  ]);
  assert.deepEqual(strictEnum, ASSET_TYPES.filter((t) => t !== "CHARACTER"));

  const lenient = storyboardOutputSchemaFor(tags, { allowCharacterDeclarations: true });
  assert.ok(lenient.safeParse(withCharacter()).success);
  // The plain schema allows every asset type but nothing else.
  assert.ok(EnhancedStoryboardOutput.safeParse(withCharacter()).success);
  const bogus = withCharacter();
  (bogus.scenes[1].scene_manifest.new_asset_declarations as Json[])[0].asset_type = "ANIMAL";
  assert.equal(EnhancedStoryboardOutput.safeParse(bogus).success, false);
});

Deno.test("constrained schema needs at least one tag", () => {
  assert.throws(
    () => storyboardOutputSchemaFor([], { allowCharacterDeclarations: true }),
    RangeError,
  );
});

// --------------------------------------------------------------------------- (5) extension

Deno.test("EnhancedSceneSchema has every SceneSchema key plus the manifests", () => {
  const baseKeys = Object.keys(SceneSchema.shape);
  const enhancedKeys = Object.keys(EnhancedSceneSchema.shape);
  const missing = baseKeys.filter((k) => !enhancedKeys.includes(k));
  assert.deepEqual(missing, [], `EnhancedSceneSchema lacks ${missing.join(", ")}`);
  assert.deepEqual(enhancedKeys, [...baseKeys, "scene_manifest", "audio_manifest"]);
  for (const key of baseKeys) {
    assert.equal(
      EnhancedSceneSchema.shape[key as keyof typeof SceneSchema.shape],
      SceneSchema.shape[key as keyof typeof SceneSchema.shape],
      `${key} is not the same schema as in SceneSchema`,
    );
  }
});
