/**
 * The contact sheet: JPEGs showing the assets of a manifest as numbered, labelled thumbnails,
 * for people and LLMs to refer to assets by number and tag. A long manifest is drawn as
 * several pages whose numbering runs on ({@linkcode ContactSheetRequest.firstNumber}).
 *
 * Runs inside pool workers (magick-wasm). The layout is plain numbers ({@linkcode
 * CONTACT_SHEET_LAYOUT}, {@linkcode contactSheetSize}) so callers and tests know the sheet's size
 * without drawing it. Fonts must be registered first with {@linkcode registerFonts}: magick-wasm
 * has none built in.
 *
 * @module
 */
import {
  CompositeOperator,
  FilterType,
  type IMagickImage,
  MagickColor,
  MagickGeometry,
  MagickImage,
  Point,
} from "@imagemagick/magick-wasm";
import { shrinkOnLoad, withDecoded, writeJpeg } from "./magick_ops.ts";
import { isFontRegistered, registerFont } from "./glyphs.ts";
import { fit, measure, TextBatch, type TextStyle } from "./sheet_text.ts";

/** Where everything goes, in pixels. */
export const CONTACT_SHEET_LAYOUT = Object.freeze({
  /** Cells per row. */
  columns: 4,
  /** Side of the square each thumbnail is fitted into. */
  cell: 256,
  /** Space between cells, across and down. */
  gutter: 16,
  /** Space at the left, right and bottom edges. */
  margin: 24,
  /** From the top edge to the first row: title, subtitle and a rule under them. */
  titleBand: 96,
  /** Under each cell: the `[N] Name` line and the type/tag line. */
  labelHeight: 44,
  /** Height of the "No images yet" note that replaces the grid when there are no cells. */
  emptyHeight: 80,
});

/**
 * Bump when the same request would be drawn differently (layout, fonts, text): stored pages
 * are fingerprinted with it, so every page is drawn again once.
 */
export const CONTACT_SHEET_DRAWING_VERSION = 1;

/** The title drawn when the request gives none. */
export const DEFAULT_CONTACT_SHEET_TITLE = "PROJECT REFERENCE SHEET";

/** Font names the sheet draws with, as listed in models/fonts.json. */
export const CONTACT_SHEET_FONTS = Object.freeze({
  text: "DejaVuSans",
  title: "DejaVuSans-Bold",
});

/** One asset on the sheet. */
export interface ContactSheetCell {
  /**
   * Its image, normally the stored 256 px thumbnail (JPEG, PNG or WebP); null when there is
   * none, which draws a placeholder.
   */
  readonly bytes: Uint8Array | null;
  readonly name: string;
  /** e.g. `CHARACTER`. */
  readonly assetType: string;
  /** e.g. `CHAR_01`; null until one is assigned. */
  readonly tag: string | null;
}

/** What to draw: cells in order, numbered from `firstNumber`. */
export interface ContactSheetRequest {
  /** Defaults to {@linkcode DEFAULT_CONTACT_SHEET_TITLE}. */
  readonly title?: string;
  /** A second line under the title, e.g. the manifest's name. */
  readonly subtitle?: string;
  readonly cells: readonly ContactSheetCell[];
  /** The number of the first cell, 1 by default: page 2 of 48-cell pages starts at 49. */
  readonly firstNumber?: number;
  /**
   * Which page of the manifest's sheet this is. When set, the corner says `Page 2 · [49]–[96]`
   * instead of the image count, which only the whole sheet knows: a page then shows nothing
   * that changes when another page does.
   */
  readonly page?: number;
}

const L = CONTACT_SHEET_LAYOUT;
const SHEET_WIDTH = 2 * L.margin + L.columns * L.cell + (L.columns - 1) * L.gutter;
const ROW_HEIGHT = L.cell + L.labelHeight;
/** JPEG cannot be taller than 65,535 px; this many rows stay under it. */
const MAX_ROWS = Math.floor((65_535 - L.titleBand - L.margin + L.gutter) / (ROW_HEIGHT + L.gutter));

/** The most cells one sheet can hold (JPEG's height limit). */
export const MAX_CONTACT_SHEET_CELLS = MAX_ROWS * L.columns;

/** Width and height of the sheet for `count` cells. */
export function contactSheetSize(count: number): { width: number; height: number } {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`A contact sheet needs a whole number of cells, not ${count}.`);
  }
  const rows = Math.ceil(count / L.columns);
  const body = rows === 0 ? L.emptyHeight : rows * ROW_HEIGHT + (rows - 1) * L.gutter;
  return { width: SHEET_WIDTH, height: L.titleBand + body + L.margin };
}

const STYLE = {
  title: { font: CONTACT_SHEET_FONTS.title, size: 26, color: "#111111" },
  subtitle: { font: CONTACT_SHEET_FONTS.text, size: 15, color: "#555555" },
  count: { font: CONTACT_SHEET_FONTS.text, size: 13, color: "#777777" },
  name: { font: CONTACT_SHEET_FONTS.text, size: 14, color: "#111111" },
  type: { font: CONTACT_SHEET_FONTS.text, size: 12, color: "#555555" },
  note: { font: CONTACT_SHEET_FONTS.text, size: 14, color: "#444444", centred: true },
  empty: { font: CONTACT_SHEET_FONTS.text, size: 16, color: "#777777", centred: true },
} as const satisfies Record<string, TextStyle>;

const COLOURS = {
  canvas: "white",
  rule: "#d0d0d0",
  /** Behind a thumbnail, so the cell's square shows around images that do not fill it. */
  backdrop: "#f2f2f2",
  placeholder: "#d9d9d9",
};

/** Baselines, from the top edge of the sheet or of a label area. */
const TITLE_BASELINE = 50;
const SUBTITLE_BASELINE = 74;
const RULE_Y = 84;
const NAME_BASELINE = 18;
const TYPE_BASELINE = 36;

/**
 * Registers TTF fonts with this isolate's ImageMagick and text layout, keyed by the name
 * drawing uses. Call once per worker after `initMagick()`; names already registered are
 * skipped.
 */
export function registerFonts(bytesByName: Readonly<Record<string, Uint8Array>>): void {
  for (const [name, bytes] of Object.entries(bytesByName)) registerFont(name, bytes);
}

/**
 * Draws the sheet and returns it as JPEG bytes. A cell without bytes, or whose bytes cannot be
 * decoded, gets a grey placeholder saying so; it never fails the sheet.
 *
 * @throws {Error} when the fonts are not registered, or there are more than
 * {@linkcode MAX_CONTACT_SHEET_CELLS} cells.
 */
export function composeContactSheet(request: ContactSheetRequest): Uint8Array {
  const missing = Object.values(CONTACT_SHEET_FONTS).filter((name) => !isFontRegistered(name));
  if (missing.length > 0) {
    throw new Error(
      `The contact sheet's font ${missing.join(", ")} is not registered in this worker: start ` +
        "the pool with `init: { fonts: await fontPaths() }` (src/imaging/fonts.ts), after " +
        "`deno task models` has obtained the fonts.",
    );
  }
  const { cells } = request;
  if (cells.length > MAX_CONTACT_SHEET_CELLS) {
    throw new Error(
      `A contact sheet holds at most ${MAX_CONTACT_SHEET_CELLS} images (JPEG's height limit), ` +
        `not ${cells.length}: split the assets over several sheets.`,
    );
  }
  const { width, height } = contactSheetSize(cells.length);
  // Plain rectangles are pasted as solid tiles: drawing them costs several ms each.
  const images: IMagickImage[] = [];
  const solid = (colour: string, w: number, h: number) => {
    const image = MagickImage.create(new MagickColor(colour), w, h);
    images.push(image);
    return image;
  };
  try {
    const canvas = solid(COLOURS.canvas, width, height);
    // Only the parts of a cell its image leaves bare get the backdrop: pasting a whole
    // square under every image costs a millisecond a cell. Bands come in a few sizes only.
    const bands = new Map<string, IMagickImage>();
    const backdropOf = (w: number, h: number) => {
      let band = bands.get(`${w}x${h}`);
      if (!band) bands.set(`${w}x${h}`, band = solid(COLOURS.backdrop, w, h));
      return band;
    };
    const placeholder = solid(COLOURS.placeholder, L.cell, L.cell);
    const paste = (tile: IMagickImage, x: number, y: number) =>
      canvas.composite(tile, CompositeOperator.Copy, new Point(x, y));
    paste(solid(COLOURS.rule, width - 2 * L.margin, 1), L.margin, RULE_Y);

    const text = new TextBatch();
    const first = request.firstNumber ?? 1;
    if (!Number.isInteger(first) || first < 1) {
      throw new RangeError(
        `Contact sheet cells are numbered from a whole number ≥ 1, not ${first}.`,
      );
    }
    drawTitle(text, request, cornerNote(request.page, first, cells.length), width);
    cells.forEach((cell, i) => {
      const x = L.margin + (i % L.columns) * (L.cell + L.gutter);
      const y = L.titleBand + Math.floor(i / L.columns) * (ROW_HEIGHT + L.gutter);
      let problem: string | null = cell.bytes?.length ? null : "No image";
      if (problem === null) {
        if (!placeThumbnail(canvas, cell.bytes!, x, y, backdropOf)) {
          problem = "Image could not be read";
        }
      }
      if (problem !== null) {
        paste(placeholder, x, y);
        text.add(STYLE.note, x + L.cell / 2, y + L.cell / 2 + 5, problem);
      }
      drawLabel(text, cell, first + i, x, y + L.cell);
    });
    if (cells.length === 0) {
      text.add(STYLE.empty, width / 2, L.titleBand + L.emptyHeight / 2, "No images yet");
    }
    text.draw(canvas);

    return writeJpeg(canvas, 88);
  } finally {
    for (const image of images) image.dispose();
  }
}

/** Fits the decoded image into the cell at (x, y), centred; false when it cannot be decoded. */
function placeThumbnail(
  canvas: IMagickImage,
  bytes: Uint8Array,
  x: number,
  y: number,
  backdropOf: Backdrop,
): boolean {
  try {
    // A stored thumbnail is decoded as it is. A larger image is scaled down while decoding,
    // to 1.5 cells as the decoder picks its own scale and can land below what was asked.
    const hint = shrinkOnLoad(bytes, L.cell * 1.5);
    const placed = withDecoded(bytes, (image) => place(canvas, image, x, y, backdropOf), hint);
    // The hint let the decoder stop below the cell's size: decode it in full instead, which
    // is rare and slower but never blurry.
    if (!placed) withDecoded(bytes, (image) => place(canvas, image, x, y, backdropOf));
    return true;
  } catch {
    // A damaged or unsupported image must not cost the whole sheet: its cell says so instead.
    return false;
  }
}

/** A solid tile of the backdrop's colour, `width`×`height`, owned by the sheet being drawn. */
type Backdrop = (width: number, height: number) => IMagickImage;

/**
 * Resizes `image` into the cell and pastes it centred, the backdrop's colour around it;
 * false when it was decoded too small for that.
 */
function place(
  canvas: IMagickImage,
  image: IMagickImage,
  x: number,
  y: number,
  backdropOf: Backdrop,
): boolean {
  // Before autoOrient, width and height are in the file's orientation, like baseWidth/Height;
  // fitting into a square gives the same size either way round.
  if (image.width < image.baseWidth) {
    const wanted = fitInCell(image.baseWidth, image.baseHeight);
    if (image.width < wanted.width && image.height < wanted.height) return false;
  }
  image.autoOrient();
  const { width, height } = fitInCell(image.width, image.height);
  // Stored thumbnails already fit the cell: resampling to the same size would cost several
  // ms per cell for the same pixels.
  if (width !== image.width || height !== image.height) {
    const size = new MagickGeometry(width, height);
    size.ignoreAspectRatio = true; // Already in proportion; rounding must not move a pixel.
    // A tent filter is a proper area average when shrinking and cheaper than the default Lanczos.
    image.resize(size, FilterType.Triangle);
  }
  const left = x + Math.floor((L.cell - width) / 2);
  const top = y + Math.floor((L.cell - height) / 2);
  const paste = (
    tile: IMagickImage,
    at: [number, number],
    operator: CompositeOperator = CompositeOperator.Copy,
  ) => canvas.composite(tile, operator, new Point(...at));
  const band = (w: number, h: number, at: [number, number]) => {
    if (w > 0 && h > 0) paste(backdropOf(w, h), at);
  };
  if (image.hasAlpha) {
    paste(backdropOf(L.cell, L.cell), [x, y]);
    paste(image, [left, top], CompositeOperator.Over);
    return true;
  }
  // An opaque image is copied, and the backdrop fills only the bands beside, above and below
  // it (a fitted image spans the cell one way, so two of them are empty).
  band(left - x, L.cell, [x, y]);
  band(x + L.cell - left - width, L.cell, [left + width, y]);
  band(width, top - y, [left, y]);
  band(width, y + L.cell - top - height, [left, top + height]);
  paste(image, [left, top]);
  return true;
}

/** The size of an image fitted into a cell, aspect kept (small images are enlarged). */
function fitInCell(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(L.cell / width, L.cell / height);
  return {
    width: Math.max(1, Math.min(L.cell, Math.round(width * scale))),
    height: Math.max(1, Math.min(L.cell, Math.round(height * scale))),
  };
}

/** What the top right corner says: the page and its cells, or how many images there are. */
function cornerNote(page: number | undefined, first: number, count: number): string {
  if (page === undefined) return count === 0 ? "" : `${count} image${count === 1 ? "" : "s"}`;
  const last = first + count - 1;
  const cells = count === 0 ? "" : count === 1 ? ` · [${first}]` : ` · [${first}]–[${last}]`;
  return `Page ${page}${cells}`;
}

function drawTitle(
  text: TextBatch,
  request: ContactSheetRequest,
  countNote: string,
  width: number,
): void {
  const countWidth = countNote ? measure(STYLE.count, countNote) : 0;
  if (countNote) text.add(STYLE.count, width - L.margin - countWidth, TITLE_BASELINE, countNote);
  const room = width - 2 * L.margin - (countWidth ? countWidth + L.gutter : 0);
  const title = clean(request.title ?? "") || DEFAULT_CONTACT_SHEET_TITLE;
  text.add(STYLE.title, L.margin, TITLE_BASELINE, fit(title, STYLE.title, room));
  const subtitle = clean(request.subtitle ?? "");
  if (subtitle) {
    const line = fit(subtitle, STYLE.subtitle, width - 2 * L.margin);
    text.add(STYLE.subtitle, L.margin, SUBTITLE_BASELINE, line);
  }
}

function drawLabel(text: TextBatch, cell: ContactSheetCell, n: number, x: number, y: number) {
  const name = `[${n}] ${clean(cell.name) || "Unnamed"}`;
  text.add(STYLE.name, x, y + NAME_BASELINE, fit(name, STYLE.name, L.cell));
  const tag = cell.tag ? clean(cell.tag) : "";
  const type = clean(cell.assetType) + (tag ? ` · ${tag}` : "");
  if (type) text.add(STYLE.type, x, y + TYPE_BASELINE, fit(type, STYLE.type, L.cell));
}

/** One line of plain text: control characters and runs of spaces become one space. */
function clean(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, " ").trim();
}
