/**
 * Text on contact sheets, drawn and fitted cheaply. ImageMagick opens the font file again
 * for every line it draws or measures, which costs milliseconds per line in WebAssembly: a
 * 48-cell page has about a hundred lines. So lines of one style stacked at a steady pitch
 * (a column of labels) are drawn as one multi-line text, which lands on the very same pixels,
 * and a line is measured only when an upper bound of its width, summed from cached
 * per-character advances, says it might not fit.
 *
 * Runs inside pool workers, after the fonts are registered.
 *
 * @module
 */
import { Drawables, type IMagickImage, MagickColor, TextAlignment } from "@imagemagick/magick-wasm";

/** How a line of text looks. */
export interface TextStyle {
  readonly font: string;
  readonly size: number;
  readonly color: string;
  /** Centred styles are drawn with x at the middle of the line. */
  readonly centred?: boolean;
}

const ELLIPSIS = "…";

/** Characters whose advance is cached per style before the cache starts over. */
const MAX_CACHED_ADVANCES = 4_096;

/** Per style (font and size): each character's advance, measured once per worker. */
const advances = new Map<string, Map<string, number>>();

/** What the caches are keyed by: what metrics depend on (not the colour). */
function metricsKey(textStyle: TextStyle): string {
  return `${textStyle.font}\u0000${textStyle.size}`;
}

/** The width of `text` as drawn in `textStyle`, measured by the font engine. */
export function measure(textStyle: TextStyle, text: string): number {
  const metrics = new Drawables().font(textStyle.font).fontPointSize(textStyle.size)
    .fontTypeMetrics(text);
  return metrics?.textWidth ?? 0;
}

/**
 * At least the width of `text`: the sum of its characters' own advances. Kerning only pulls
 * pairs together, and each advance is already rounded up to whole pixels by the engine.
 */
export function widthBound(textStyle: TextStyle, text: string): number {
  const key = metricsKey(textStyle);
  let cache = advances.get(key);
  if (!cache || cache.size > MAX_CACHED_ADVANCES) advances.set(key, cache = new Map());
  let width = 0;
  for (const char of text) {
    let advance = cache.get(char);
    if (advance === undefined) cache.set(char, advance = measure(textStyle, char));
    width += advance;
  }
  return width;
}

/** `text`, or its longest prefix followed by an ellipsis, that is at most `maxWidth` wide. */
export function fit(text: string, textStyle: TextStyle, maxWidth: number): string {
  if (widthBound(textStyle, text) <= maxWidth) return text;
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
 * Lines to draw on one image. Nothing is drawn until {@linkcode TextBatch.draw}, which draws
 * each style's lines that share an x and follow each other at a steady pitch as one text.
 */
export class TextBatch {
  readonly #lines = new Map<TextStyle, Line[]>();

  /**
   * Queues `value`, one line without line breaks, at (x, y): y is the baseline, x the left
   * edge (or the middle, centred).
   */
  add(textStyle: TextStyle, x: number, y: number, value: string): void {
    let lines = this.#lines.get(textStyle);
    if (!lines) this.#lines.set(textStyle, lines = []);
    lines.push({ x, y, value });
  }

  /** Draws every queued line onto `image`. */
  draw(image: IMagickImage): void {
    for (const [textStyle, lines] of this.#lines) {
      const drawables = new Drawables().font(textStyle.font).fontPointSize(textStyle.size)
        .fillColor(new MagickColor(textStyle.color))
        .textAlignment(textStyle.centred ? TextAlignment.Center : TextAlignment.Left);
      // Centred lines are drawn one by one: a run would centre them as a block.
      const advance = textStyle.centred ? 0 : lineAdvance(textStyle);
      for (const run of stackedRuns(lines, advance)) {
        const pitch = run.length > 1 ? run[1].y - run[0].y : advance;
        drawables.textInterlineSpacing(pitch - advance)
          .text(run[0].x, run[0].y, run.map((line) => line.value).join("\n"));
      }
      drawables.draw(image);
    }
  }
}

/** Per style: how far down each next line of a multi-line text goes with no extra spacing. */
const lineAdvances = new Map<string, number>();

function lineAdvance(textStyle: TextStyle): number {
  const key = metricsKey(textStyle);
  let advance = lineAdvances.get(key);
  if (advance === undefined) {
    const probe = new Drawables().font(textStyle.font).fontPointSize(textStyle.size);
    const one = probe.fontTypeMetrics("A")?.textHeight ?? 0;
    const two = probe.fontTypeMetrics("A\nA", false)?.textHeight ?? 0;
    lineAdvances.set(key, advance = two - one);
  }
  return advance;
}

/**
 * `lines` cut into runs that one multi-line text can draw: the same x, baselines a steady
 * whole pitch apart and no closer than `advance` (0: every line on its own). Order is kept.
 */
export function stackedRuns(lines: readonly Line[], advance: number): Line[][] {
  const runs: Line[][] = [];
  const open = new Map<number, Line[]>();
  for (const line of lines) {
    const run = open.get(line.x);
    const continues = run !== undefined && advance > 0 &&
      Number.isInteger(line.y - run.at(-1)!.y) &&
      line.y - run.at(-1)!.y >= advance &&
      (run.length < 2 || line.y - run.at(-1)!.y === run[1].y - run[0].y);
    if (continues) {
      run.push(line);
    } else {
      const started = [line];
      runs.push(started);
      open.set(line.x, started);
    }
  }
  return runs;
}
