import assert from "node:assert/strict";
import { join } from "node:path";
import { CONTACT_SHEET_FONTS } from "./contact_sheet.ts";
import {
  DEFAULT_FONT_CATALOG_PATH,
  fontPaths,
  fontsDir,
  loadFontCatalog,
  parseFontCatalog,
  readFontFiles,
} from "./fonts.ts";

const committed = JSON.parse(await Deno.readTextFile(DEFAULT_FONT_CATALOG_PATH));

/** The committed catalog with its first entry changed by `change`. */
function changed(change: (entry: Record<string, unknown>) => void) {
  const json = structuredClone(committed);
  change(json.fonts[0]);
  return json;
}

Deno.test("the committed font catalog has every font the contact sheet draws with", async () => {
  const fonts = await loadFontCatalog();
  assert.deepEqual(
    fonts.map((font) => font.name).sort(),
    Object.values(CONTACT_SHEET_FONTS).sort(),
  );
  for (const font of fonts) {
    assert.equal(font.package, "dejavu-fonts-ttf");
    assert.equal(font.version, "2.37.3");
  }
  assert.ok(Object.isFrozen(fonts) && Object.isFrozen(fonts[0]));
});

Deno.test("a malformed font catalog is refused, naming the entry and the field", () => {
  const cases: [unknown, RegExp][] = [
    [changed((e) => e.sha256 = "ABC"), /fonts\[0\] \("DejaVuSans"\)\.sha256: must be 64/],
    [changed((e) => e.output = "DejaVuSans.woff2"), /\.output: must be a plain file name ending/],
    [changed((e) => e.file = "../ttf/x.ttf"), /\.file: must be a path relative/],
    [changed((e) => e.version = "^2.37.3"), /\.version: must be an exact version/],
    [changed((e) => e.extra = true), /fonts\[0\] \("DejaVuSans"\)/],
    [changed((e) => e.name = "DejaVuSans-Bold"), /fonts\[1\] .*is used by another entry/],
    [{ fonts: [] }, /fonts: /],
    [{ models: [] }, /The font catalog test\.json is not valid/],
  ];
  for (const [json, pattern] of cases) {
    assert.throws(() => parseFontCatalog(json, "test.json"), pattern);
  }
});

Deno.test("fontPaths names the missing files and the command that obtains them", async () => {
  const modelsDir = await Deno.makeTempDir({ prefix: "fonts_test_" });
  try {
    await assert.rejects(fontPaths(modelsDir), (error: Error) => {
      assert.match(error.message, /^The contact sheet's font files .*DejaVuSans\.ttf, /);
      assert.ok(error.message.includes(join(modelsDir, "fonts", "DejaVuSans-Bold.ttf")));
      assert.ok(error.message.includes("run `deno task models`"));
      return true;
    });
    await Deno.mkdir(fontsDir(modelsDir));
    for (const font of committed.fonts) {
      await Deno.writeTextFile(join(fontsDir(modelsDir), font.output), font.name);
    }
    const paths = await fontPaths(modelsDir);
    assert.deepEqual(paths, {
      "DejaVuSans": join(modelsDir, "fonts", "DejaVuSans.ttf"),
      "DejaVuSans-Bold": join(modelsDir, "fonts", "DejaVuSans-Bold.ttf"),
    });
    const bytes = await readFontFiles(paths);
    assert.equal(new TextDecoder().decode(bytes["DejaVuSans-Bold"]), "DejaVuSans-Bold");

    await Deno.remove(paths.DejaVuSans);
    await assert.rejects(
      readFontFiles(paths),
      /DejaVuSans\.ttf is missing: run `deno task models`/,
    );
  } finally {
    await Deno.remove(modelsDir, { recursive: true });
  }
});
