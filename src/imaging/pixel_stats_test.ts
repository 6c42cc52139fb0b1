import assert from "node:assert/strict";
import {
  COLOUR_NAMES,
  colourName,
  laplacianVariance,
  pixelStatsOf,
  WORKING_SIZE,
} from "./pixel_stats.ts";
import { resize, type RgbImage, rgbImage, toGreyPlane } from "./raster.ts";

type Rgb = readonly [number, number, number];

function image(width: number, height: number, colourAt: (x: number, y: number) => Rgb): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colourAt(x, y), (y * width + x) * 3);
  }
  return rgbImage(width, height, data);
}

const flat = (width: number, height: number, colour: Rgb) => image(width, height, () => colour);

function checkerboard(size: number, cell: number): RgbImage {
  return image(size, size, (x, y) => {
    const v = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0 ? 40 : 215;
    return [v, v, v];
  });
}

/** Blurs by shrinking and enlarging again, as a soft lens would lose detail. */
function blurred(source: RgbImage, factor: number): RgbImage {
  const small = resize(
    source,
    Math.round(source.width / factor),
    Math.round(source.height / factor),
  );
  return resize(small, source.width, source.height);
}

Deno.test("pixelStatsOf orders a sharp checkerboard above blurred versions of it", () => {
  const sharp = checkerboard(200, 8);
  const soft = blurred(sharp, 3);
  const softer = blurred(sharp, 6);
  const [a, b, c] = [sharp, soft, softer].map((img) => pixelStatsOf(img).sharpness);
  assert.ok(a > b && b > c, `sharpness ${a} > ${b} > ${c}`);
  assert.ok(c > 0);
});

Deno.test("pixelStatsOf measures sharpness at the working size, so scale barely matters", () => {
  // One picture stored at two resolutions: per-pixel detail differs 16-fold, the view does not.
  const picture = blurred(checkerboard(WORKING_SIZE, 8), 2);
  const large = resize(picture, 4 * WORKING_SIZE, 4 * WORKING_SIZE);
  const ratio = pixelStatsOf(large).sharpness / pixelStatsOf(picture).sharpness;
  // Resampling twice softens a little; unnormalised, the ratio would be about 1/100.
  assert.ok(ratio > 0.5 && ratio < 2, `ratio ${ratio}`);
  const raw = laplacianVariance(toGreyPlane(large, 1), large.width, large.height) /
    laplacianVariance(toGreyPlane(picture, 1), picture.width, picture.height);
  assert.ok(raw < 0.05, `raw ratio ${raw}`);
  assert.equal(pixelStatsOf(large).width, 4 * WORKING_SIZE, "the size is the image's own");
});

Deno.test("laplacianVariance is zero for a flat plane and for planes too small to filter", () => {
  assert.equal(laplacianVariance(new Float32Array(100).fill(7), 10, 10), 0);
  assert.equal(laplacianVariance(new Float32Array([1, 200, 3, 250]), 2, 2), 0);
  assert.equal(pixelStatsOf(flat(1, 1, [10, 20, 30])).sharpness, 0);
});

Deno.test("pixelStatsOf gives a dark image low exposure and counts clipped pixels", () => {
  const dark = pixelStatsOf(flat(64, 48, [20, 20, 20]));
  const bright = pixelStatsOf(flat(64, 48, [235, 235, 235]));
  assert.ok(dark.exposure < 0.1, `dark exposure ${dark.exposure}`);
  assert.ok(bright.exposure > 0.9, `bright exposure ${bright.exposure}`);
  assert.equal(dark.clippedDark, 0);

  const crushed = pixelStatsOf(image(100, 100, (x) => (x < 30 ? [0, 0, 0] : [255, 255, 255])));
  assert.ok(Math.abs(crushed.clippedDark - 0.3) < 0.01, `dark ${crushed.clippedDark}`);
  assert.ok(Math.abs(crushed.clippedBright - 0.7) < 0.01, `bright ${crushed.clippedBright}`);
});

Deno.test("pixelStatsOf contrast is 0 for a flat image and 0.5 for half black, half white", () => {
  assert.equal(pixelStatsOf(flat(32, 32, [128, 128, 128])).contrast, 0);
  const split = pixelStatsOf(image(32, 32, (x) => (x < 16 ? [0, 0, 0] : [255, 255, 255])));
  assert.ok(Math.abs(split.contrast - 0.5) < 1e-6, `contrast ${split.contrast}`);
});

Deno.test("pixelStatsOf names half red, half blue as red and blue at about 50 % each", () => {
  const stats = pixelStatsOf(image(300, 200, (x) => (x < 150 ? [220, 30, 30] : [30, 60, 200])));
  assert.deepEqual(stats.colours.map((colour) => colour.name), ["red", "blue"]);
  for (const colour of stats.colours) {
    assert.ok(Math.abs(colour.share - 0.5) < 0.03, `${colour.name} ${colour.share}`);
  }
  assert.match(stats.colours[0].hex, /^#[0-9a-f]{6}$/);
});

Deno.test("pixelStatsOf merges shades of one name and drops specks", () => {
  // Two greens and a 1 % speck of pink: one "green" entry, no pink.
  const stats = pixelStatsOf(image(100, 100, (x, y) => {
    if (x < 10 && y < 10) return [255, 150, 190];
    return x < 50 ? [20, 140, 40] : [40, 160, 60];
  }));
  assert.deepEqual(stats.colours.map((colour) => colour.name), ["green"]);
  assert.ok(stats.colours[0].share > 0.98);
});

Deno.test("pixelStatsOf reports at most five colours, largest first", () => {
  const bands: Rgb[] = [
    [255, 0, 0],
    [0, 0, 255],
    [255, 255, 0],
    [0, 128, 0],
    [128, 0, 128],
    [255, 255, 255],
    [0, 0, 0],
  ];
  const stats = pixelStatsOf(image(140, 10, (x) => bands[Math.min(6, Math.floor(x / 20))]));
  assert.equal(stats.colours.length, 5);
  const shares = stats.colours.map((colour) => colour.share);
  assert.deepEqual(shares, [...shares].sort((a, b) => b - a));
});

Deno.test("colourName maps typical colours to plain names", () => {
  const expected: [string, Rgb][] = [
    ["black", [0, 0, 0]],
    ["white", [255, 255, 255]],
    ["grey", [128, 128, 128]],
    ["red", [200, 30, 30]],
    ["dark red", [120, 10, 10]],
    ["orange", [255, 140, 0]],
    ["brown", [110, 70, 30]],
    ["beige", [245, 245, 220]],
    ["skin tone", [224, 172, 105]],
    ["yellow", [250, 220, 20]],
    ["olive", [128, 128, 0]],
    ["green", [40, 160, 50]],
    ["teal", [0, 128, 128]],
    ["light blue", [135, 206, 235]],
    ["blue", [50, 90, 200]],
    ["navy", [20, 30, 100]],
    ["purple", [128, 0, 128]],
    ["pink", [255, 182, 193]],
  ];
  for (const [name, rgb] of expected) assert.equal(colourName(...rgb), name, rgb.join(","));
  assert.ok(COLOUR_NAMES.length >= 18 && COLOUR_NAMES.length <= 24);
});

Deno.test("pixelStatsOf is deterministic", () => {
  const photo = image(123, 77, (x, y) => [(x * 7) % 256, (y * 13) % 256, (x * y) % 256]);
  assert.deepEqual(pixelStatsOf(photo), pixelStatsOf(photo));
});
