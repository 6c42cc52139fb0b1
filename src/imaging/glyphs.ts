/**
 * Text drawn from cached glyphs. ImageMagick rasterises every glyph of every line it draws
 * (about 60 µs a glyph in WebAssembly, 160 ms for a 48-cell page's labels), yet a sheet uses
 * a few dozen distinct characters. So each character is rasterised once per font and size by
 * ImageMagick itself (all the missing ones in a single multi-line draw) and kept as a
 * coverage mask; a line is then laid out from the font's own tables ({@linkcode FontTables}:
 * advances and kerning, as FreeType scales them) and its masks are blended onto the image in
 * JavaScript, with the arithmetic ImageMagick uses to draw a glyph. The pixels are the ones
 * ImageMagick draws for the same line.
 *
 * Runs inside pool workers, after {@linkcode registerFont}.
 *
 * @module
 */
import {
  Drawables,
  type IMagickImage,
  Magick,
  MagickColor,
  MagickImage,
} from "@imagemagick/magick-wasm";
import { advancePixels, type FontTables, kerningPixels, parseFontTables } from "./font_tables.ts";

/** A font and a size in pixels per em (ImageMagick's point size at its default 72 dpi). */
export interface Face {
  readonly font: string;
  readonly size: number;
}

/** One character's ink: a coverage mask placed relative to the pen on the baseline. */
interface Glyph {
  /** The font's glyph index (for kerning). */
  readonly index: number;
  /** Pen advance in pixels. */
  readonly advance: number;
  /** Ink box relative to the pen position on the baseline (empty: width 0). */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Coverage 0–255, `width × height`, row by row. */
  readonly coverage: Uint8Array;
}

/** A glyph placed on a line: its pen x, relative to the line's start. */
interface Placed {
  readonly glyph: Glyph;
  readonly x: number;
}

/** Characters cached per face before its cache starts over. */
const MAX_CACHED_GLYPHS = 4_096;

const fonts = new Map<string, FontTables>();

/** What is learnt once per font and size, in this worker. */
interface FaceCache {
  readonly glyphs: Map<string, Glyph>;
  /** {@linkcode endWidth} of each character asked for. */
  readonly endWidths: Map<string, number>;
  /** {@linkcode lineAdvance}, once asked for. */
  lineAdvance: number | null;
}

const faceCaches = new Map<string, FaceCache>();

function cacheOf(face: Face): FaceCache {
  const key = `${face.font}\u0000${face.size}`;
  let cache = faceCaches.get(key);
  if (!cache) {
    faceCaches.set(key, cache = { glyphs: new Map(), endWidths: new Map(), lineAdvance: null });
  }
  // The faces are a fixed few; the characters are whatever names hold, so they are bounded.
  if (cache.glyphs.size > MAX_CACHED_GLYPHS) cache.glyphs.clear();
  if (cache.endWidths.size > MAX_CACHED_GLYPHS) cache.endWidths.clear();
  return cache;
}

/**
 * Registers a TrueType font with this isolate's ImageMagick and reads its layout tables, under
 * the name drawing uses. A name already registered is skipped.
 */
export function registerFont(name: string, bytes: Uint8Array): void {
  if (fonts.has(name)) return;
  let tables: FontTables;
  try {
    tables = parseFontTables(bytes);
  } catch (error) {
    const why = error instanceof RangeError
      ? "the file ends inside one of its tables"
      : (error as Error).message;
    throw new Error(
      `The font ${name} cannot lay out text (${why}): give it a complete TrueType (.ttf) ` +
        "file with a Unicode character map, e.g. run `deno task models` again.",
    );
  }
  Magick.addFont(name, bytes);
  fonts.set(name, tables);
}

/** Whether {@linkcode registerFont} registered `name` in this isolate. */
export function isFontRegistered(name: string): boolean {
  return fonts.has(name);
}

/**
 * The width of `text` drawn in `face`, as ImageMagick's font metrics give it: where the pen
 * is when the last character starts, plus that character's own width (its advance, or its
 * outline's right edge when that reaches further).
 */
export function textWidth(face: Face, text: string): number {
  const line = layout(face, text);
  if (line.length === 0) return 0;
  return line.at(-1)!.x + endWidth(face, Array.from(text).at(-1)!);
}

/**
 * Draws `text` with its baseline at `y` and its pen starting at `x` (whole pixels) in the
 * opaque `color`, straight onto the pixels of `image`; ink outside the image is dropped.
 *
 * @throws {RangeError} when `image` is not opaque RGB (three channels): other layouts are
 * ImageMagick's to draw on.
 */
export function drawText(
  image: IMagickImage,
  face: Face,
  color: MagickColor,
  x: number,
  y: number,
  text: string,
): void {
  if (image.channelCount !== 3) {
    throw new RangeError(
      `Cached glyphs are drawn on opaque RGB images, not on one with ${image.channelCount} ` +
        "channels: draw on it with ImageMagick's Drawables instead.",
    );
  }
  const line = layout(face, text);
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const { glyph, x: pen } of line) {
    if (glyph.width === 0) continue;
    left = Math.min(left, pen + glyph.left);
    right = Math.max(right, pen + glyph.left + glyph.width);
    top = Math.min(top, glyph.top);
    bottom = Math.max(bottom, glyph.top + glyph.height);
  }
  if (left === Infinity) return;
  // The area the ink covers, clipped to the image.
  const x0 = Math.max(0, x + left);
  const y0 = Math.max(0, y + top);
  const x1 = Math.min(image.width, x + right);
  const y1 = Math.min(image.height, y + bottom);
  if (x1 <= x0 || y1 <= y0) return;
  const width = x1 - x0;
  const fill = [color.r, color.g, color.b];
  image.getPixels((pixels) => {
    const area = pixels.getArea(x0, y0, width, y1 - y0).slice();
    for (const { glyph, x: pen } of line) {
      const gx = x + pen + glyph.left;
      const gy = y + glyph.top;
      for (let row = 0; row < glyph.height; row++) {
        const ay = gy + row - y0;
        if (ay < 0 || ay >= y1 - y0) continue;
        for (let column = 0; column < glyph.width; column++) {
          const coverage = glyph.coverage[row * glyph.width + column];
          const ax = gx + column - x0;
          if (coverage === 0 || ax < 0 || ax >= width) continue;
          const at = (ay * width + ax) * 3;
          const alpha = coverage / 255;
          // ImageMagick's "over" of a glyph's pixel onto an opaque one, rounded to 8 bits.
          for (let c = 0; c < 3; c++) {
            area[at + c] = Math.floor(alpha * fill[c] + (1 - alpha) * area[at + c] + 0.5);
          }
        }
      }
    }
    pixels.setArea(x0, y0, width, y1 - y0, area);
  });
}

/** Each character of `text` as a glyph at its pen position (kerning applied). */
function layout(face: Face, text: string): Placed[] {
  const chars = Array.from(text);
  const glyphs = glyphsOf(face, chars);
  const tables = tablesOf(face);
  const line: Placed[] = [];
  let pen = 0;
  let previous: Glyph | null = null;
  for (const char of chars) {
    const glyph = glyphs.get(char)!;
    // ImageMagick kerns only pairs of glyphs the font has (not the missing-glyph box).
    if (previous && previous.index !== 0 && glyph.index !== 0) {
      pen += kerningPixels(tables, previous.index, glyph.index, face.size);
    }
    line.push({ glyph, x: pen });
    pen += glyph.advance;
    previous = glyph;
  }
  return line;
}

/**
 * A character's width when it ends a line. ImageMagick takes it from the hinted outline's
 * box, which only the font engine knows (the drawn ink can stop a pixel short of it), so it
 * is asked once per character and face; few characters end lines.
 */
function endWidth(face: Face, char: string): number {
  const { endWidths } = cacheOf(face);
  let width = endWidths.get(char);
  if (width === undefined) {
    const metrics = new Drawables().font(face.font).fontPointSize(face.size).fontTypeMetrics(char);
    endWidths.set(char, width = metrics?.textWidth ?? 0);
  }
  return width;
}

function tablesOf(face: Face): FontTables {
  // FreeType hints at whole pixels per em; a fractional size would scale otherwise.
  if (!Number.isInteger(face.size) || face.size < 1) {
    throw new RangeError(`Text is drawn at a whole number of pixels per em, not ${face.size}.`);
  }
  const font = face.font;
  const tables = fonts.get(font);
  if (!tables) {
    throw new Error(
      `The font ${font} is not registered in this worker: register it with registerFont ` +
        "(src/imaging/glyphs.ts) before drawing text with it.",
    );
  }
  return tables;
}

/** The glyphs of `chars` in `face`, rasterising the ones not cached yet in one draw. */
function glyphsOf(face: Face, chars: readonly string[]): Map<string, Glyph> {
  const { glyphs } = cacheOf(face);
  const missing = [...new Set(chars)].filter((char) => !glyphs.has(char));
  if (missing.length > 0) {
    for (const [char, glyph] of rasterise(face, missing)) glyphs.set(char, glyph);
  }
  return glyphs;
}

/**
 * Draws `chars` one per line, black on white, in one multi-line text at a pitch that keeps
 * lines apart, and cuts each line's coverage out. Multi-line text puts each line's pen at the
 * same x on a baseline a whole pitch below the last, so every glyph lands as it would alone.
 */
function rasterise(face: Face, chars: readonly string[]): Map<string, Glyph> {
  const tables = tablesOf(face);
  // Room for any glyph of the font around its pen position (its `head` box, plus two pixels
  // for hinting), so no glyph is clipped and no line's ink reaches the next.
  const em = (units: number) => Math.ceil(Math.max(0, units) * face.size / tables.unitsPerEm) + 2;
  const { xMin, yMin, xMax, yMax } = tables.bounds;
  const above = em(yMax);
  const pitch = above + em(-yMin);
  const pad = em(-xMin);
  const indexes = chars.map((char) => tables.glyphOf(char.codePointAt(0)!));
  const advances = indexes.map((index) => advancePixels(tables, index, face.size));
  const width = pad + Math.max(em(xMax), ...advances) + 2;
  const height = pitch * chars.length;
  const sheet = MagickImage.create(new MagickColor("white"), width, height);
  try {
    new Drawables().font(face.font).fontPointSize(face.size).fillColor(new MagickColor("black"))
      .textInterlineSpacing(pitch - lineAdvance(face))
      .text(pad, above, chars.join("\n"))
      .draw(sheet);
    const grey = sheet.getPixels((pixels) => pixels.toByteArray(0, 0, width, height, "R"))!;
    const glyphs = new Map<string, Glyph>();
    chars.forEach((char, i) => {
      const ink = inkBox(grey, width, i * pitch, pitch);
      const coverage = new Uint8Array(ink.width * ink.height);
      for (let row = 0; row < ink.height; row++) {
        for (let column = 0; column < ink.width; column++) {
          const at = (i * pitch + ink.top + row) * width + ink.left + column;
          coverage[row * ink.width + column] = 255 - grey[at];
        }
      }
      glyphs.set(char, {
        index: indexes[i],
        advance: advances[i],
        left: ink.left - pad,
        top: ink.top - above,
        width: ink.width,
        height: ink.height,
        coverage,
      });
    });
    return glyphs;
  } finally {
    sheet.dispose();
  }
}

/** The box of non-white pixels in rows `[top, top + rows)`, relative to those rows. */
function inkBox(grey: Uint8Array, width: number, top: number, rows: number) {
  let left = width;
  let right = -1;
  let first = rows;
  let last = -1;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < width; column++) {
      if (grey[(top + row) * width + column] === 255) continue;
      left = Math.min(left, column);
      right = Math.max(right, column);
      first = Math.min(first, row);
      last = Math.max(last, row);
    }
  }
  return right < 0
    ? { left: 0, top: 0, width: 0, height: 0 }
    : { left, top: first, width: right - left + 1, height: last - first + 1 };
}

/** How far down each next line of a multi-line text goes with no extra spacing. */
function lineAdvance(face: Face): number {
  const cache = cacheOf(face);
  if (cache.lineAdvance === null) {
    const probe = new Drawables().font(face.font).fontPointSize(face.size);
    const one = probe.fontTypeMetrics("A")?.textHeight ?? 0;
    const two = probe.fontTypeMetrics("A\nA", false)?.textHeight ?? 0;
    cache.lineAdvance = two - one;
  }
  return cache.lineAdvance;
}
