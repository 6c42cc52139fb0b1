import assert from "node:assert/strict";
import { MagickColor, MagickFormat, MagickImage } from "@imagemagick/magick-wasm";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { imageSize } from "../../tests/fixtures/image_size.ts";
import {
  composeContactSheet,
  CONTACT_SHEET_LAYOUT as L,
  type ContactSheetCell,
  contactSheetSize,
  MAX_CONTACT_SHEET_CELLS,
  registerFonts,
} from "./contact_sheet.ts";
import { fontPaths, readFontFiles } from "./fonts.ts";
import { initMagick } from "./magick_ops.ts";
import { MAX_CONTACT_SHEET_PAGE_SIZE } from "../config.ts";

await initMagick();
registerFonts(await readFontFiles(await fontPaths()));

const DEMO = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => fixturePhoto(`sample${n}.jpg`)));
const TYPES = ["CHARACTER", "ENVIRONMENT", "CHARACTER", "PROP", "CHARACTER", "VEHICLE"];
const demoCells = (): ContactSheetCell[] =>
  DEMO.map((bytes, i) => ({
    bytes,
    name: `Photo ${i + 1}`,
    assetType: TYPES[i],
    tag: i === 3 ? null : `TAG_0${i + 1}`,
  }));

/** The sheet decoded to RGB bytes, with a reader of the pixels in a rectangle. */
function decodeSheet(jpeg: Uint8Array) {
  const image = MagickImage.create(jpeg);
  try {
    const { width, height } = image;
    const rgb = image.getPixels((pixels) => pixels.toByteArray(0, 0, width, height, "RGB"))!
      .slice();
    /** Every pixel of the rectangle as [r, g, b]. */
    const region = (x: number, y: number, w: number, h: number) => {
      const out: [number, number, number][] = [];
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          const i = (row * width + col) * 3;
          out.push([rgb[i], rgb[i + 1], rgb[i + 2]]);
        }
      }
      return out;
    };
    return { width, height, region, pixel: (x: number, y: number) => region(x, y, 1, 1)[0] };
  } finally {
    image.dispose();
  }
}

const dark = (p: number[]) => p[0] + p[1] + p[2] < 3 * 110;
const near = (p: number[], grey: number, tolerance = 6) =>
  p.every((value) => Math.abs(value - grey) <= tolerance);

/** Top-left corner of cell `i` (0-based). */
function cellAt(i: number): { x: number; y: number } {
  return {
    x: L.margin + (i % L.columns) * (L.cell + L.gutter),
    y: L.titleBand + Math.floor(i / L.columns) * (L.cell + L.labelHeight + L.gutter),
  };
}

/** A solid-colour image, for tests that need a known size and colour. */
function solidImage(
  colour: string,
  width: number,
  height: number,
  format: MagickFormat = MagickFormat.Png,
) {
  const image = MagickImage.create(new MagickColor(colour), width, height);
  try {
    return image.write(format, (data) => data.slice());
  } finally {
    image.dispose();
  }
}

Deno.test("contactSheetSize: four 256 px columns, rows grow with the count", () => {
  const width = 2 * L.margin + 4 * 256 + 3 * L.gutter;
  const row = L.cell + L.labelHeight;
  assert.deepEqual(contactSheetSize(0), {
    width,
    height: L.titleBand + L.emptyHeight + L.margin,
  });
  assert.deepEqual(contactSheetSize(1), { width, height: L.titleBand + row + L.margin });
  assert.deepEqual(contactSheetSize(4), contactSheetSize(1));
  assert.deepEqual(contactSheetSize(5), {
    width,
    height: L.titleBand + 2 * row + L.gutter + L.margin,
  });
  assert.equal(contactSheetSize(24).height, L.titleBand + 6 * row + 5 * L.gutter + L.margin);
  assert.ok(contactSheetSize(MAX_CONTACT_SHEET_CELLS).height <= 65_535);
  assert.ok(contactSheetSize(MAX_CONTACT_SHEET_CELLS + L.columns).height > 65_535);
  assert.throws(() => contactSheetSize(-1), RangeError);
  assert.throws(() => contactSheetSize(1.5), RangeError);
  assert.ok(Object.isFrozen(L));
});

Deno.test("a sheet of the demo photos is a JPEG of exactly contactSheetSize", () => {
  for (const count of [0, 1, 5, 6]) {
    const jpeg = composeContactSheet({ cells: demoCells().slice(0, count) });
    const header = imageSize(jpeg);
    assert.equal(header?.format, "jpeg");
    assert.deepEqual({ width: header!.width, height: header!.height }, contactSheetSize(count));
  }
});

Deno.test("text is drawn: title, labels and the empty-sheet note", () => {
  const sheet = decodeSheet(composeContactSheet({ subtitle: "Noir short", cells: demoCells() }));
  // The title band holds the title (dark) and the subtitle line under it.
  const title = sheet.region(L.margin, 20, 400, 36).filter(dark).length;
  assert.ok(title > 500, `dark pixels in the title: ${title}`);
  assert.ok(sheet.region(L.margin, 60, 100, 18).filter(dark).length > 30, "subtitle");
  // Every cell has its two label lines, and nothing else is drawn on the canvas around them.
  for (let i = 0; i < DEMO.length; i++) {
    const { x, y } = cellAt(i);
    const label = sheet.region(x, y + L.cell + 4, L.cell, 18).filter(dark).length;
    assert.ok(label > 40, `label of cell ${i + 1}: ${label}`);
    const type = sheet.region(x, y + L.cell + 24, L.cell, 16).filter(dark).length;
    assert.ok(type > 20, `type line of cell ${i + 1}: ${type}`);
  }
  const empty = decodeSheet(composeContactSheet({ cells: [] }));
  const note = empty.region(empty.width / 2 - 80, L.titleBand + 20, 160, 40)
    .filter((p) => !near(p, 255, 40));
  assert.ok(note.length > 100, `the 'No images yet' note: ${note.length}`);
});

Deno.test("missing, empty and garbage bytes get a placeholder; the sheet is still made", () => {
  const cells: ContactSheetCell[] = [
    { bytes: null, name: "Nothing yet", assetType: "OBJECT", tag: null },
    { bytes: new TextEncoder().encode("not an image"), name: "Junk", assetType: "PROP", tag: null },
    { bytes: new Uint8Array(), name: "Empty", assetType: "OTHER", tag: "OTHER_01" },
    { bytes: DEMO[0].subarray(0, 2000), name: "Truncated", assetType: "CHARACTER", tag: null },
    { bytes: DEMO[1], name: "Fine", assetType: "CHARACTER", tag: "CHAR_01" },
  ];
  const jpeg = composeContactSheet({ cells });
  const sheet = decodeSheet(jpeg);
  assert.deepEqual({ width: sheet.width, height: sheet.height }, contactSheetSize(cells.length));
  for (let i = 0; i < 4; i++) {
    const { x, y } = cellAt(i);
    // Placeholder grey (#d9d9d9) in a corner, and a dark note in the middle.
    assert.ok(near(sheet.pixel(x + 8, y + 8), 0xd9), `cell ${i + 1} corner`);
    const note = sheet.region(x + 20, y + L.cell / 2 - 15, L.cell - 40, 30).filter(dark);
    assert.ok(note.length > 20, `cell ${i + 1} note`);
  }
  // The good photo still fills its cell's width.
  const { x, y } = cellAt(4);
  assert.ok(!near(sheet.pixel(x + L.cell / 2, y + L.cell / 2), 0xd9, 20));
});

Deno.test("a thumbnail keeps its aspect and is centred in its cell", () => {
  const cells: ContactSheetCell[] = [
    { bytes: solidImage("#0000ff", 400, 200), name: "Wide", assetType: "OBJECT", tag: null },
    {
      bytes: solidImage("#ff0000", 60, 120, MagickFormat.Jpeg),
      name: "Tall and small",
      assetType: "OBJECT",
      tag: null,
    },
  ];
  const sheet = decodeSheet(composeContactSheet({ cells }));
  const blue = (p: number[]) => p[2] > 200 && p[0] < 60 && p[1] < 60;
  const red = (p: number[]) => p[0] > 200 && p[1] < 60 && p[2] < 60;
  const backdrop = (p: number[]) => near(p, 0xf2);

  // 400×200 → 256×128, rows 64…191 of the cell.
  let { x, y } = cellAt(0);
  for (const dx of [2, 128, 253]) {
    assert.ok(backdrop(sheet.pixel(x + dx, y + 60)), `above the wide image at ${dx}`);
    assert.ok(blue(sheet.pixel(x + dx, y + 68)), `wide image top at ${dx}`);
    assert.ok(blue(sheet.pixel(x + dx, y + 187)), `wide image bottom at ${dx}`);
    assert.ok(backdrop(sheet.pixel(x + dx, y + 196)), `below the wide image at ${dx}`);
  }
  // 60×120 is enlarged to 128×256, columns 64…191.
  ({ x, y } = cellAt(1));
  for (const dy of [2, 128, 253]) {
    assert.ok(backdrop(sheet.pixel(x + 60, y + dy)), `left of the tall image at ${dy}`);
    assert.ok(red(sheet.pixel(x + 68, y + dy)), `tall image left at ${dy}`);
    assert.ok(red(sheet.pixel(x + 187, y + dy)), `tall image right at ${dy}`);
    assert.ok(backdrop(sheet.pixel(x + 196, y + dy)), `right of the tall image at ${dy}`);
  }
});

Deno.test("long names and types are cut with an ellipsis inside the cell's width", () => {
  const long = "An extraordinarily long asset name that could never fit under a single thumbnail";
  const cells: ContactSheetCell[] = [0, 1].map(() => ({
    bytes: DEMO[2],
    name: `${long}\n\twith a line break`,
    assetType: "ENVIRONMENT_WITH_A_MADE_UP_VERY_LONG_TYPE",
    tag: "ENV_0123456789",
  }));
  const sheet = decodeSheet(composeContactSheet({ title: long.repeat(3), cells }));
  const { x, y } = cellAt(0);
  // The gutter between the two labels stays white: nothing ran past the first cell.
  const gutter = sheet.region(x + L.cell, y + L.cell, L.gutter, L.labelHeight);
  assert.ok(gutter.every((p) => near(p, 255, 12)), "label text spilled into the gutter");
  // The text reaches close to the cell's right edge (it was cut, not dropped).
  const tail = sheet.region(x + L.cell - 40, y + L.cell + 4, 40, 18).filter(dark).length;
  assert.ok(tail > 5, `dark pixels near the end of the name: ${tail}`);
  // The title does not run into the right margin either.
  const margin = sheet.region(sheet.width - L.margin, 0, L.margin, L.titleBand);
  assert.ok(margin.every((p) => near(p, 255, 12)), "title spilled into the margin");
});

Deno.test("too many cells is an error that says what to do", () => {
  const cells = Array.from({ length: MAX_CONTACT_SHEET_CELLS + 1 }, () => ({
    bytes: null,
    name: "x",
    assetType: "OTHER",
    tag: null,
  }));
  assert.throws(() => composeContactSheet({ cells }), /at most \d+ images .*split the assets/);
});

Deno.test("CONTACT_SHEET_PAGE_SIZE is capped at what one sheet can hold", () => {
  assert.equal(MAX_CONTACT_SHEET_PAGE_SIZE, MAX_CONTACT_SHEET_CELLS);
});

Deno.test("a page numbers its cells on from firstNumber and names itself in the corner", () => {
  const corner = (jpeg: Uint8Array) => {
    const sheet = decodeSheet(jpeg);
    // The corner note is grey (#777777): count what is not white.
    return sheet.region(sheet.width - L.margin - 200, 30, 200, 26)
      .filter((p) => !near(p, 255, 40)).length;
  };
  const cells = demoCells();
  const whole = composeContactSheet({ cells });
  const page = composeContactSheet({ cells, firstNumber: 49, page: 2 });
  assert.deepEqual(imageSize(page), { format: "jpeg", ...contactSheetSize(cells.length) });
  // "Page 2 · [49]–[54]" is longer than "6 images": more ink in the corner.
  assert.ok(corner(page) > corner(whole) + 50, `${corner(page)} vs ${corner(whole)}`);
  // Labels start at [49]: wider than [1], so the first label has more ink.
  const label = (jpeg: Uint8Array) => {
    const { x, y } = cellAt(0);
    return decodeSheet(jpeg).region(x, y + L.cell + 4, 30, 18).filter(dark).length;
  };
  assert.ok(label(page) > label(whole), `${label(page)} vs ${label(whole)}`);
  assert.throws(() => composeContactSheet({ cells, firstNumber: 0 }), RangeError);
});
