/**
 * Text on contact sheets: lines in a few styles, measured, fitted into a cell's width with an
 * ellipsis, and drawn. Left-aligned lines, nearly all of a sheet's, are drawn from cached
 * glyphs (src/imaging/glyphs.ts), which land on the pixels ImageMagick would draw at a fraction
 * of its cost; centred lines (notes on placeholders, rare) are drawn by ImageMagick, which
 * centres on fractional pixels.
 *
 * Runs inside pool workers, after the fonts are registered.
 *
 * @module
 */
import { Drawables, type IMagickImage, MagickColor, TextAlignment } from "@imagemagick/magick-wasm";
import { drawText, textWidth } from "./glyphs.ts";

/** How a line of text looks. */
export interface TextStyle {
  readonly font: string;
  readonly size: number;
  readonly color: string;
  /** Centred styles are drawn with x at the middle of the line. */
  readonly centred?: boolean;
}

const ELLIPSIS = "…";

/** The width of `text` as drawn in `textStyle`, in pixels. */
export function measure(textStyle: TextStyle, text: string): number {
  return textWidth(textStyle, text);
}

/** `text`, or its longest prefix followed by an ellipsis, that is at most `maxWidth` wide. */
export function fit(text: string, textStyle: TextStyle, maxWidth: number): string {
  const full = measure(textStyle, text);
  if (full <= maxWidth) return text;
  const chars = Array.from(text); // Code points, so an emoji is never cut in half.
  const cut = (n: number) => chars.slice(0, n).join("").trimEnd() + ELLIPSIS;
  const fits = (n: number) => measure(textStyle, cut(n)) <= maxWidth;
  // Glyph widths are close to proportional, so a guess from the full width is off by a few
  // characters at most; walking from it measures far less than a bisection would.
  let n = Math.max(0, Math.min(chars.length - 1, Math.floor(chars.length * maxWidth / full)));
  if (fits(n)) {
    while (n + 1 < chars.length && fits(n + 1)) n++;
  } else {
    do n--; while (n > 0 && !fits(n));
  }
  return cut(n);
}

/** One queued line: its anchor (x, baseline y) and its text. */
export interface Line {
  readonly x: number;
  readonly y: number;
  readonly value: string;
}

/**
 * Lines to draw on one image. Nothing is drawn until {@linkcode TextBatch.draw}: then
 * left-aligned lines on an opaque RGB image from cached glyphs, the others by ImageMagick.
 */
export class TextBatch {
  readonly #lines = new Map<TextStyle, Line[]>();

  /**
   * Queues `value`, one line without line breaks, at (x, y): y is the baseline, x the left
   * edge (or the middle, centred). Left-aligned lines need whole-pixel anchors.
   */
  add(textStyle: TextStyle, x: number, y: number, value: string): void {
    if (!textStyle.centred && !(Number.isInteger(x) && Number.isInteger(y))) {
      throw new RangeError(`A left-aligned line is anchored on whole pixels, not (${x}, ${y}).`);
    }
    let lines = this.#lines.get(textStyle);
    if (!lines) this.#lines.set(textStyle, lines = []);
    lines.push({ x, y, value });
  }

  /** Draws every queued line onto `image`. */
  draw(image: IMagickImage): void {
    for (const [textStyle, lines] of this.#lines) {
      const color = new MagickColor(textStyle.color);
      // Cached glyphs are blended onto opaque RGB pixels only.
      if (!textStyle.centred && image.channelCount === 3) {
        for (const line of lines) drawText(image, textStyle, color, line.x, line.y, line.value);
        continue;
      }
      const drawables = new Drawables().font(textStyle.font).fontPointSize(textStyle.size)
        .fillColor(color)
        .textAlignment(textStyle.centred ? TextAlignment.Center : TextAlignment.Left);
      for (const line of lines) drawables.text(line.x, line.y, line.value);
      drawables.draw(image);
    }
  }
}
