import assert from "node:assert/strict";
import {
  flipHorizontal,
  resample,
  resize,
  rgbImage,
  toGreyPlane,
  toPlanar,
  warpAffine,
} from "./raster.ts";

function gradient(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = x % 256;
      data[o + 1] = y % 256;
      data[o + 2] = 77;
    }
  }
  return rgbImage(width, height, data);
}

Deno.test("resize keeps a flat colour flat and halves a gradient", () => {
  const image = gradient(200, 100);
  const half = resize(image, 100, 50);
  assert.equal(half.data.length, 100 * 50 * 3);
  for (let i = 0; i < 100 * 50; i++) assert.equal(half.data[i * 3 + 2], 77);
  // Output pixel x covers source pixels 2x and 2x+1: their mean is 2x + 0.5.
  for (const x of [10, 50, 90]) {
    assert.ok(Math.abs(half.data[(20 * 100 + x) * 3] - (2 * x + 0.5)) <= 1);
  }
});

Deno.test("resample of a sub-rectangle reads only that part", () => {
  const image = gradient(200, 100);
  const crop = resample(image, [100, 20, 140, 60], 40, 40);
  assert.equal(crop.data[0], 100);
  assert.equal(crop.data[1], 20);
  assert.equal(crop.data[(39 * 40 + 39) * 3], 139);
});

Deno.test("an identity warp copies the image; outside the image is black", () => {
  const image = gradient(20, 10);
  assert.deepEqual(warpAffine(image, [1, 0, 0, 0, 1, 0], 20, 10).data, image.data);
  const shifted = warpAffine(image, [1, 0, 15, 0, 1, 0], 10, 10);
  assert.equal(shifted.data[0], 15);
  assert.equal(shifted.data[(0 * 10 + 9) * 3 + 2], 0);
});

Deno.test("flip mirrors, planar and grey conversions normalise", () => {
  const image = gradient(4, 2);
  const flipped = flipHorizontal(image);
  assert.equal(flipped.data[0], 3);
  assert.deepEqual(flipHorizontal(flipped).data, image.data);
  const planar = toPlanar(image, 127, 128);
  assert.equal(planar[1], (1 - 127) / 128);
  assert.equal(planar[8 + 4], (1 - 127) / 128);
  const grey = toGreyPlane(rgbImage(1, 1, new Uint8Array([255, 255, 255])), 256);
  assert.equal(grey[0], 255 / 256);
});

Deno.test("a wrong pixel count is refused", () => {
  assert.throws(() => rgbImage(2, 2, new Uint8Array(5)), /Expected 12 RGB bytes/);
});
