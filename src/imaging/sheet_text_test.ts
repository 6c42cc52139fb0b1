import assert from "node:assert/strict";
import { Drawables, ErrorMetric, MagickColor, MagickImage } from "@imagemagick/magick-wasm";
import { CONTACT_SHEET_FONTS, registerFonts } from "./contact_sheet.ts";
import { fontPaths, readFontFiles } from "./fonts.ts";
import { initMagick } from "./magick_ops.ts";
import { fit, measure, TextBatch, type TextStyle } from "./sheet_text.ts";

await initMagick();
registerFonts(await readFontFiles(await fontPaths()));

const NAME: TextStyle = { font: CONTACT_SHEET_FONTS.text, size: 14, color: "#111111" };
const TYPE: TextStyle = { font: CONTACT_SHEET_FONTS.text, size: 12, color: "#555555" };
const TITLE: TextStyle = { font: CONTACT_SHEET_FONTS.title, size: 26, color: "#111111" };

Deno.test("a batch lands on the very pixels of drawing each line on its own", () => {
  const labels = Array.from(
    { length: 12 },
    (_, i) => `[${i + 1}] Zoë's coat · ÁÉ Жж ${"x".repeat(i)}`,
  );
  const pitch = 316;
  const batched = MagickImage.create(new MagickColor("white"), 600, 12 * pitch);
  const alone = MagickImage.create(new MagickColor("white"), 600, 12 * pitch);
  try {
    const batch = new TextBatch();
    labels.forEach((label, i) => {
      batch.add(NAME, 20, 18 + i * pitch, label);
      batch.add(TYPE, 20, 36 + i * pitch, `CHARACTER · CHAR_${i}`);
      batch.add(NAME, 320, 18 + i * pitch, label.toUpperCase());
    });
    batch.add(TITLE, 20, 50, "Title");
    batch.draw(batched);
    const draw = (style: TextStyle, x: number, y: number, value: string) =>
      new Drawables().font(style.font).fontPointSize(style.size)
        .fillColor(new MagickColor(style.color)).text(x, y, value).draw(alone);
    labels.forEach((label, i) => {
      draw(NAME, 20, 18 + i * pitch, label);
      draw(TYPE, 20, 36 + i * pitch, `CHARACTER · CHAR_${i}`);
      draw(NAME, 320, 18 + i * pitch, label.toUpperCase());
    });
    draw(TITLE, 20, 50, "Title");
    assert.ok(alone.compare(batched, ErrorMetric.Absolute) === 0, "the same pixels");
    assert.ok(
      alone.compare(
        MagickImage.create(new MagickColor("white"), 600, 12 * pitch),
        ErrorMetric.Absolute,
      ) > 0,
      "text was drawn at all",
    );
  } finally {
    batched.dispose();
    alone.dispose();
  }
});

Deno.test("on an image with alpha a batch is drawn by ImageMagick, as each line alone", () => {
  const batched = MagickImage.create(new MagickColor("#ffffff80"), 300, 60);
  const alone = MagickImage.create(new MagickColor("#ffffff80"), 300, 60);
  try {
    const batch = new TextBatch();
    batch.add(NAME, 10, 20, "[1] Translucent");
    batch.add(TYPE, 10, 40, "OBJECT · OBJ_01");
    batch.draw(batched);
    for (
      const [style, y, value] of [[NAME, 20, "[1] Translucent"], [
        TYPE,
        40,
        "OBJECT · OBJ_01",
      ]] as const
    ) {
      new Drawables().font(style.font).fontPointSize(style.size)
        .fillColor(new MagickColor(style.color)).text(10, y, value).draw(alone);
    }
    assert.equal(alone.compare(batched, ErrorMetric.Absolute), 0);
  } finally {
    batched.dispose();
    alone.dispose();
  }
});

Deno.test("measure is the width ImageMagick's font metrics give", () => {
  const samples = [
    "AVAVAV WAWA To Ty",
    "[123] Person 12 from sample3.jpg",
    "CHARACTER · CHAR_01",
    "Zoë Ærø Ångström ß",
    "Жёлтый дом λόγος",
    "iiii llll ....",
    "A",
    "K",
    "f",
    "/",
    "_",
    "Wolf",
    "Page 2 · [49]–[96]",
    "Tr",
    "LT",
  ];
  for (const style of [NAME, TYPE, TITLE, { ...NAME, size: 13 }, { ...NAME, size: 15 }]) {
    for (const text of samples) {
      const metrics = new Drawables().font(style.font).fontPointSize(style.size)
        .fontTypeMetrics(text);
      assert.equal(measure(style, text), metrics?.textWidth, `${style.size}: ${text}`);
    }
  }
});

Deno.test("fit keeps what fits and cuts the rest with an ellipsis", () => {
  assert.equal(fit("Short name", NAME, 256), "Short name");
  const long = "A very long asset name that cannot fit into one cell of the sheet";
  const cut = fit(long, NAME, 256);
  assert.ok(cut.endsWith("…") && long.startsWith(cut.slice(0, -1)), cut);
  assert.ok(measure(NAME, cut) <= 256);
});
