/**
 * The few tables of a TrueType font that lay out a line of text: which glyph draws a
 * character (`cmap`), how far each glyph advances the pen (`hmtx`) and how far a pair of
 * glyphs is pulled together (`kern`), scaled to whole pixels the way FreeType scales them for
 * ImageMagick's text drawing (hinted, at 72 dpi, so a point is a pixel).
 *
 * With these a contact sheet lays out and measures its labels without asking the font engine
 * (a millisecond per question in WebAssembly). Pure: bytes in, numbers out.
 *
 * @module
 */

/** The layout tables of one font. */
export interface FontTables {
  /** Font units per em (the scale of every advance and kerning value). */
  readonly unitsPerEm: number;
  /** The box every glyph of the font fits in, in font units (`head`; y up from the baseline). */
  readonly bounds: {
    readonly xMin: number;
    readonly yMin: number;
    readonly xMax: number;
    readonly yMax: number;
  };
  /** The glyph that draws `codePoint` (0, the missing-glyph box, when the font has none). */
  glyphOf(codePoint: number): number;
  /** The glyph's advance width, in font units. */
  advanceUnits(glyph: number): number;
  /** The kerning of the pair `left` then `right`, in font units (0 when none). */
  kerningUnits(left: number, right: number): number;
}

/**
 * Reads the `head`, `hhea`, `hmtx`, `cmap` (formats 4 and 12) and `kern` (version 0,
 * format 0) tables of a TrueType font.
 *
 * @throws {Error} when a table that layout needs is missing or the file is not a TrueType font.
 */
export function parseFontTables(bytes: Uint8Array): FontTables {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = tableDirectory(view);
  const table = (tag: string) => {
    const offset = tables.get(tag);
    if (offset === undefined) {
      throw new Error(`The font has no "${tag}" table: use a TrueType (.ttf) font that has one.`);
    }
    return offset;
  };
  const head = table("head");
  const unitsPerEm = view.getUint16(head + 18);
  const bounds = Object.freeze({
    xMin: view.getInt16(head + 36),
    yMin: view.getInt16(head + 38),
    xMax: view.getInt16(head + 40),
    yMax: view.getInt16(head + 42),
  });
  const longMetrics = view.getUint16(table("hhea") + 34);
  const hmtx = table("hmtx");
  const lastAdvance = view.getUint16(hmtx + 4 * (longMetrics - 1));
  const glyphs = cmapOf(view, table("cmap"));
  const kerning = tables.has("kern") ? kernPairsOf(view, tables.get("kern")!) : new Map();
  return Object.freeze({
    unitsPerEm,
    bounds,
    glyphOf: (codePoint: number) => glyphs(codePoint),
    // Glyphs past the long metrics share the last advance (the monospaced tail of `hmtx`).
    advanceUnits: (glyph: number) =>
      glyph < longMetrics ? view.getUint16(hmtx + 4 * glyph) : lastAdvance,
    kerningUnits: (left: number, right: number) => kerning.get(left * 0x10000 + right) ?? 0,
  });
}

/**
 * A glyph's advance in whole pixels at `size` pixels per em: FreeType rounds the scaled
 * advance to the pixel grid when it hints.
 */
export function advancePixels(font: FontTables, glyph: number, size: number): number {
  return pixRound(scaled(font.advanceUnits(glyph), size, font.unitsPerEm));
}

/**
 * The kerning of a pair in whole pixels at `size` pixels per em, as FreeType's
 * `FT_Get_Kerning` gives it in its default mode: scaled, reduced in proportion below 25 pixels
 * per em (so rounding does not make it too big), then rounded to the pixel grid.
 */
export function kerningPixels(font: FontTables, left: number, right: number, size: number): number {
  const units = font.kerningUnits(left, right);
  if (units === 0) return 0;
  let value = scaled(units, size, font.unitsPerEm);
  if (size < 25) value = Math.trunc((value * size + (value < 0 ? -12 : 12)) / 25);
  return pixRound(value);
}

/** Font units as 26.6 fixed point at `size` pixels per em (FreeType's `FT_MulFix` rounding). */
function scaled(units: number, size: number, unitsPerEm: number): number {
  const scale = Math.round(size * 64 * 0x10000 / unitsPerEm);
  const product = Math.abs(units) * scale;
  return Math.sign(units) * Math.floor((product + 0x8000) / 0x10000);
}

/** 26.6 fixed point rounded to whole pixels (`FT_PIX_ROUND`), as pixels. */
function pixRound(value: number): number {
  return Math.floor((value + 32) / 64);
}

function tableDirectory(view: DataView): Map<string, number> {
  const version = view.getUint32(0);
  if (version !== 0x00010000 && version !== 0x74727565) {
    throw new Error("Not a TrueType font: the file must be a .ttf with TrueType outlines.");
  }
  const tables = new Map<string, number>();
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(
      ...[0, 1, 2, 3].map((k) => view.getUint8(record + k)),
    );
    tables.set(tag, view.getUint32(record + 8));
  }
  return tables;
}

/** The character → glyph lookup of the best Unicode subtable (format 12, else format 4). */
function cmapOf(view: DataView, cmap: number): (codePoint: number) => number {
  const count = view.getUint16(cmap + 2);
  let format4: number | null = null;
  let format12: number | null = null;
  for (let i = 0; i < count; i++) {
    const record = cmap + 4 + 8 * i;
    const platform = view.getUint16(record);
    const encoding = view.getUint16(record + 2);
    const subtable = cmap + view.getUint32(record + 4);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    const format = view.getUint16(subtable);
    if (format === 12) format12 ??= subtable;
    if (format === 4) format4 ??= subtable;
  }
  if (format12 !== null) return format12Lookup(view, format12);
  if (format4 !== null) return format4Lookup(view, format4);
  throw new Error("The font has no Unicode character map (cmap format 4 or 12).");
}

function format4Lookup(view: DataView, table: number): (codePoint: number) => number {
  const segments = view.getUint16(table + 6) / 2;
  const ends = table + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (codePoint) => {
    if (codePoint > 0xffff) return 0;
    let low = 0;
    let high = segments - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (view.getUint16(ends + 2 * middle) < codePoint) low = middle + 1;
      else high = middle;
    }
    const start = view.getUint16(starts + 2 * low);
    if (codePoint < start || codePoint > view.getUint16(ends + 2 * low)) return 0;
    const delta = view.getUint16(deltas + 2 * low);
    const rangeOffset = view.getUint16(rangeOffsets + 2 * low);
    if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
    const at = rangeOffsets + 2 * low + rangeOffset + 2 * (codePoint - start);
    const glyph = view.getUint16(at);
    return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
  };
}

function format12Lookup(view: DataView, table: number): (codePoint: number) => number {
  const groups = view.getUint32(table + 12);
  const first = table + 16;
  return (codePoint) => {
    let low = 0;
    let high = groups - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const group = first + 12 * middle;
      if (codePoint < view.getUint32(group)) high = middle - 1;
      else if (codePoint > view.getUint32(group + 4)) low = middle + 1;
      else return view.getUint32(group + 8) + codePoint - view.getUint32(group);
    }
    return 0;
  };
}

/**
 * Horizontal kerning pairs of a version 0 `kern` table's format 0 subtables, read as
 * FreeType reads them: a subtable's pairs stop at its own length, the values of several
 * subtables add up (a subtable with the override bit replaces instead), and the walk stops
 * at a subtable too short to hold any pair.
 */
function kernPairsOf(view: DataView, kern: number): Map<number, number> {
  const pairs = new Map<number, number>();
  if (view.getUint16(kern) !== 0) return pairs; // Apple's version 1 layout: not read.
  const end = view.byteLength;
  let subtable = kern + 4;
  for (let n = view.getUint16(kern + 2); n > 0 && subtable + 14 <= end; n--) {
    const length = view.getUint16(subtable + 2);
    if (length <= 14) break;
    const coverage = view.getUint16(subtable + 4);
    // Format 0 (high byte), horizontal, not minimum values.
    if (coverage >> 8 === 0 && (coverage & 0b11) === 1) {
      const override = (coverage & 0b1000) !== 0;
      const room = Math.floor((Math.min(length, end - subtable) - 14) / 6);
      const count = Math.min(view.getUint16(subtable + 6), room);
      for (let i = 0; i < count; i++) {
        const pair = subtable + 14 + 6 * i;
        const key = view.getUint16(pair) * 0x10000 + view.getUint16(pair + 2);
        const value = view.getInt16(pair + 4);
        pairs.set(key, override ? value : (pairs.get(key) ?? 0) + value);
      }
    }
    subtable += length;
  }
  return pairs;
}
