import assert from "node:assert/strict";
import { fontPaths, readFontFiles } from "./fonts.ts";
import { advancePixels, kerningPixels, parseFontTables } from "./font_tables.ts";
import { CONTACT_SHEET_FONTS } from "./contact_sheet.ts";

const files = await readFontFiles(await fontPaths());
const sans = parseFontTables(files[CONTACT_SHEET_FONTS.text]);
const glyph = (char: string) => sans.glyphOf(char.codePointAt(0)!);

Deno.test("characters map to glyphs through the Unicode cmap; unknown ones to glyph 0", () => {
  for (const char of ["A", "z", "·", "…", "Ж", "λ"]) assert.ok(glyph(char) > 0, char);
  assert.notEqual(glyph("A"), glyph("B"));
  assert.equal(sans.glyphOf(0x10fffd), 0); // A private-use code point the font leaves out.
});

Deno.test("advances and kerning scale to whole pixels as FreeType hints them", () => {
  assert.equal(sans.unitsPerEm, 2048);
  // DejaVu Sans: "W" is 2025 units, "i" 569, at 14 px per em.
  assert.equal(advancePixels(sans, glyph("W"), 14), 14);
  assert.equal(advancePixels(sans, glyph("i"), 14), 4);
  assert.ok(sans.kerningUnits(glyph("T"), glyph("o")) < 0, "T o is a kerned pair");
  assert.equal(kerningPixels(sans, glyph("T"), glyph("o"), 14), -1);
  assert.equal(sans.kerningUnits(glyph("a"), glyph("b")), 0);
  assert.equal(kerningPixels(sans, glyph("a"), glyph("b"), 14), 0);
  // Below 25 px per em FreeType scales kerning down before rounding: -131 units at 12 px per
  // em is -0.77 px, -0.37 px once reduced, so 0.
  assert.equal(sans.kerningUnits(glyph("A"), glyph("V")), -131);
  assert.equal(kerningPixels(sans, glyph("A"), glyph("V"), 12), 0);
  assert.equal(kerningPixels(sans, glyph("A"), glyph("V"), 26), -2);
});

Deno.test("a file that is not a TrueType font is refused with what to use instead", () => {
  assert.throws(
    () => parseFontTables(new TextEncoder().encode("wOFF not a ttf at all")),
    /Not a TrueType font: the file must be a \.ttf/,
  );
  const headerOnly = new Uint8Array(12);
  new DataView(headerOnly.buffer).setUint32(0, 0x00010000);
  assert.throws(() => parseFontTables(headerOnly), /has no "head" table/);
});
