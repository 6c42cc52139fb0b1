import assert from "node:assert/strict";
import { Drawables, ErrorMetric, MagickColor, MagickImage } from "@imagemagick/magick-wasm";
import { CONTACT_SHEET_FONTS, registerFonts } from "./contact_sheet.ts";
import { fontPaths, readFontFiles } from "./fonts.ts";
import { drawText, type Face, isFontRegistered, registerFont, textWidth } from "./glyphs.ts";
import { initMagick } from "./magick_ops.ts";

await initMagick();
registerFonts(await readFontFiles(await fontPaths()));

const TEXT: Face = { font: CONTACT_SHEET_FONTS.text, size: 14 };
const TITLE: Face = { font: CONTACT_SHEET_FONTS.title, size: 26 };

/** The same line drawn by ImageMagick and from cached glyphs, on two white images. */
function bothWays(face: Face, width: number, height: number, x: number, y: number, text: string) {
  const colour = new MagickColor("#224466");
  const byMagick = MagickImage.create(new MagickColor("white"), width, height);
  const byGlyphs = MagickImage.create(new MagickColor("white"), width, height);
  new Drawables().font(face.font).fontPointSize(face.size).fillColor(colour).text(x, y, text)
    .draw(byMagick);
  drawText(byGlyphs, face, colour, x, y, text);
  return { byMagick, byGlyphs };
}

Deno.test("a line from cached glyphs has ImageMagick's pixels, kerning and all", () => {
  for (
    const [face, text] of [
      [TEXT, "[12] To Tyler's AVATAR · Wolf in sample1.jpg"],
      [TEXT, "Zoë Ærø Ångström ß — Жёлтый дом λόγος …"],
      [TITLE, "PROJECT REFERENCE SHEET — LT AV"],
      // Characters the font lacks (the missing-glyph box) and ones beyond the BMP.
      [TEXT, "A漢V字 😀 𝒜 T\u0301o"],
      // A glyph reaching far out of its advance, at a size the sheet does not use.
      [{ font: CONTACT_SHEET_FONTS.title, size: 48 }, "W\u0488A \u0488x"],
    ] as const
  ) {
    const { byMagick, byGlyphs } = bothWays(face, 700, 100, 60, 60, text);
    try {
      assert.equal(byMagick.compare(byGlyphs, ErrorMetric.Absolute), 0, text);
      const blank = MagickImage.create(new MagickColor("white"), 700, 100);
      assert.ok(byGlyphs.compare(blank, ErrorMetric.Absolute) > 0, "ink was drawn");
      blank.dispose();
    } finally {
      byMagick.dispose();
      byGlyphs.dispose();
    }
  }
});

Deno.test("ink past the image's edges is dropped, as ImageMagick drops it", () => {
  const text = "Cut on every side, ggg ÅÅÅ";
  for (const [x, y] of [[-20, 10], [60, 50], [-5, 25]]) {
    const { byMagick, byGlyphs } = bothWays(TEXT, 120, 40, x, y, text);
    try {
      assert.equal(byMagick.compare(byGlyphs, ErrorMetric.Absolute), 0, `at ${x},${y}`);
    } finally {
      byMagick.dispose();
      byGlyphs.dispose();
    }
  }
  const outside = MagickImage.create(new MagickColor("white"), 50, 20);
  drawText(outside, TEXT, new MagickColor("black"), 500, 500, text); // Nothing lands: no error.
  outside.dispose();
});

Deno.test("textWidth is 0 for no text, grows with each character, needs a whole size", () => {
  assert.equal(textWidth(TEXT, ""), 0);
  assert.ok(textWidth(TEXT, "ab") > textWidth(TEXT, "a"));
  assert.ok(textWidth(TITLE, "Title") > textWidth(TEXT, "Title"));
  assert.throws(() => textWidth({ ...TEXT, size: 13.5 }, "x"), /whole number of pixels per em/);
});

Deno.test("drawing with a font nobody registered says how to register it", () => {
  assert.equal(isFontRegistered("NoSuchFont"), false);
  const image = MagickImage.create(new MagickColor("white"), 10, 10);
  try {
    assert.throws(
      () => drawText(image, { font: "NoSuchFont", size: 12 }, new MagickColor("black"), 0, 5, "x"),
      /NoSuchFont is not registered in this worker: register it with registerFont/,
    );
  } finally {
    image.dispose();
  }
});

Deno.test("an image with alpha is refused, with what to use instead", () => {
  const image = MagickImage.create(new MagickColor("#ffffff80"), 20, 20);
  try {
    assert.equal(image.channelCount, 4);
    assert.throws(
      () => drawText(image, TEXT, new MagickColor("black"), 0, 15, "x"),
      /opaque RGB images, not on one with 4 channels: draw on it with ImageMagick's Drawables/,
    );
  } finally {
    image.dispose();
  }
});

Deno.test("a font that is not TrueType is refused when registered, saying what to give", () => {
  assert.throws(
    () => registerFont("Broken", new Uint8Array([0, 1, 0, 0, 0, 9])),
    /The font Broken cannot lay out text \(the file ends inside one of its tables\): give it a complete TrueType/,
  );
  assert.equal(isFontRegistered("Broken"), false);
});
