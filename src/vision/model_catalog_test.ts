import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { DEFAULT_MODELS_DIR } from "../config.ts";
import {
  ADAPTER_ROLE,
  DEFAULT_CATALOG_PATH,
  loadModelCatalog,
  modelPath,
  parseModelCatalog,
} from "./model_catalog.ts";

const committed = JSON.parse(await Deno.readTextFile(DEFAULT_CATALOG_PATH));

/** A deep copy of the committed catalog JSON with `change` applied to it. */
function variant(change: (json: { models: Record<string, unknown>[] }) => void): unknown {
  const json = structuredClone(committed);
  change(json);
  return json;
}

function entryNamed(json: { models: Record<string, unknown>[] }, name: string) {
  const entry = json.models.find((model) => model.name === name);
  assert.ok(entry, `models.json has no entry ${name}`);
  return entry;
}

Deno.test("the committed models.json is a valid catalog", async () => {
  const catalog = await loadModelCatalog();
  assert.deepEqual(
    catalog.map((entry) => entry.name),
    ["blazeface_back_256", "fr_detect", "fr_landmark", "fr_feature", "centernet"],
  );
  for (const entry of catalog) {
    if (entry.convert) {
      // A conversion's output hash is the converter's; its package files always have theirs.
      assert.match(entry.sha256 ?? "0".repeat(64), /^[0-9a-f]{64}$/, entry.name);
      assert.ok(entry.sources!.some((source) => source.file === entry.file), entry.name);
      for (const source of entry.sources!) assert.match(source.sha256, /^[0-9a-f]{64}$/);
    } else {
      assert.match(entry.sha256!, /^[0-9a-f]{64}$/, entry.name);
      assert.ok(entry.bytes! > 0, entry.name);
    }
    assert.ok(entry.licence.trim().length > 0, `${entry.name} has no licence`);
    assert.equal(ADAPTER_ROLE[entry.adapter], entry.role);
    assert.ok(entry.inputs.length > 0 && entry.outputs.length > 0, entry.name);
  }
  const unique = (values: string[]) => assert.equal(new Set(values).size, values.length);
  unique(catalog.map((entry) => entry.name));
  unique(catalog.map((entry) => entry.output));
  unique(catalog.map((entry) => `${entry.package}@${entry.version}/${entry.file}`));
  const roles = new Set(catalog.map((entry) => entry.role));
  assert.deepEqual(
    [...roles].sort(),
    ["face_detector", "face_embedder", "face_landmarks", "object_detector"],
  );
});

Deno.test("the catalog's entries are deeply frozen", async () => {
  const catalog = await loadModelCatalog();
  assert.ok(Object.isFrozen(catalog));
  assert.ok(Object.isFrozen(catalog[0]));
  assert.ok(Object.isFrozen(catalog[0].inputs[0].shape));
  assert.throws(() => (catalog as unknown[]).push({}));
  assert.throws(() => {
    (catalog[0] as { sha256: string | null }).sha256 = "x";
  });
});

Deno.test("model files are written to the git-ignored models/ folder", async () => {
  const catalog = await loadModelCatalog();
  const fr = catalog.find((entry) => entry.name === "fr_detect")!;
  assert.equal(modelPath(fr), join(DEFAULT_MODELS_DIR, "fr_detect.onnx"));
  assert.equal(modelPath(fr, "/tmp/m"), "/tmp/m/fr_detect.onnx");
  assert.equal(dirname(DEFAULT_CATALOG_PATH), dirname(modelPath(fr)));
  const gitignore = await Deno.readTextFile(new URL("../../.gitignore", import.meta.url));
  assert.ok(gitignore.split("\n").includes("/models/*.onnx"));
  for (const entry of catalog) assert.match(entry.output, /^[\w.-]+\.onnx$/);
});

Deno.test("a malformed entry is refused, naming the entry and the field", () => {
  const refuses = (json: unknown, ...fragments: string[]) =>
    assert.throws(() => parseModelCatalog(json, "test.json"), (error: Error) => {
      assert.match(error.message, /^The model catalog test\.json is not valid:/);
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), error.message);
      return true;
    });
  refuses(
    variant((json) => entryNamed(json, "fr_detect").sha256 = "ABC"),
    'models[1] ("fr_detect").sha256',
    "64 lowercase hex",
  );
  refuses(
    variant((json) => entryNamed(json, "fr_feature").sha256 = null),
    'models[3] ("fr_feature").sha256',
    "--update-hashes",
  );
  refuses(
    variant((json) => entryNamed(json, "fr_landmark").output = "fr_detect.onnx"),
    'models[2] ("fr_landmark").output',
    '"fr_detect.onnx" is used by another entry',
  );
  refuses(
    variant((json) => entryNamed(json, "fr_landmark").output = "../escape.onnx"),
    "plain file name",
  );
  refuses(
    variant((json) => entryNamed(json, "fr_landmark").file = "../x.onnx"),
    'models[2] ("fr_landmark").file',
  );
  refuses(
    variant((json) => entryNamed(json, "fr_feature").adapter = "centernet"),
    'adapter "centernet" is a object_detector, not a face_embedder',
  );
  refuses(variant((json) => entryNamed(json, "fr_feature").licence = "  "), ".licence");
  refuses(
    variant((json) => entryNamed(json, "centernet").sources = [{ file: "x.bin", sha256: "a" }]),
    "sources",
  );
  refuses(variant((json) => entryNamed(json, "fr_detect").sha265 = "typo"), "sha265");
  refuses(
    variant((json) => {
      const input = (entryNamed(json, "fr_detect").inputs as { shape: number[] }[])[0];
      input.shape = [1, 0, 240, 320];
    }),
    'models[1] ("fr_detect").inputs[0].shape[1]',
  );
  refuses({ models: [] }, "models");
});

Deno.test("a conversion may leave its output hash unrecorded, with bytes and hash together", () => {
  const catalog = parseModelCatalog(
    variant((json) => Object.assign(entryNamed(json, "centernet"), { sha256: null, bytes: null })),
  );
  assert.equal(catalog.find((entry) => entry.name === "centernet")!.sha256, null);
  assert.throws(
    () =>
      parseModelCatalog(
        variant((json) =>
          Object.assign(entryNamed(json, "centernet"), { sha256: "0".repeat(64), bytes: null })
        ),
      ),
    /both or neither/,
  );
});

Deno.test("loading a missing or broken catalog says what is wrong", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadModelCatalog(join(dir, "none.json")), /does not exist/);
    await Deno.writeTextFile(join(dir, "bad.json"), "{ models: ");
    await assert.rejects(loadModelCatalog(join(dir, "bad.json")), /is not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
