import assert from "node:assert/strict";
import {
  ErrorMetric,
  Gravity,
  type IMagickImage,
  MagickColor,
  MagickFormat,
  MagickImage,
  Orientation,
  Quantum,
} from "@imagemagick/magick-wasm";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { AppError } from "../errors.ts";
import { sniffFormat } from "./format.ts";
import { initMagick, inspectImage, shrinkOnLoad, thumbnailOf, withDecoded } from "./magick_ops.ts";

const LIMITS = { maxPixels: 50_000_000, thumbnailSize: 256 };

/** Decodes `bytes`, hands the image to `use` and disposes of it. */
function decode<T>(bytes: Uint8Array, use: (image: IMagickImage) => T): T {
  const image = MagickImage.create(bytes);
  try {
    return use(image);
  } finally {
    image.dispose();
  }
}

/** Red, green, blue of one pixel scaled to 0‥255 (a grey image repeats its one channel). */
function rgbAt(image: IMagickImage, x: number, y: number): [number, number, number] {
  const scale = 255 / Quantum.max;
  const grey = image.channelCount < 3;
  return image.getPixels((pixels) => {
    const pixel = pixels.getPixel(x, y);
    const [r, g, b] = grey ? [pixel[0], pixel[0], pixel[0]] : [pixel[0], pixel[1], pixel[2]];
    return [Math.round(r * scale), Math.round(g * scale), Math.round(b * scale)];
  });
}

/**
 * A minimal EXIF block ("Exif\0\0" + little-endian TIFF with IFD0 holding only Orientation).
 * sample1.jpg's own EXIF has no Orientation tag, and ImageMagick only updates a tag that exists.
 */
function exifWithOrientation(orientation: number): Uint8Array {
  return new Uint8Array([
    ...[0x45, 0x78, 0x69, 0x66, 0, 0], // "Exif\0\0"
    ...[0x49, 0x49, 0x2a, 0x00, 0x08, 0, 0, 0], // "II*\0", IFD0 at offset 8
    ...[1, 0], // one entry
    ...[0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0], // 0x0112 SHORT ×1
    ...[0, 0, 0, 0], // no next IFD
  ]);
}

/** sample1.jpg re-encoded with EXIF Orientation = 6 (stored sideways, display rotated 90° CW). */
async function rotatedJpeg(): Promise<Uint8Array> {
  const photo = await fixturePhoto("sample1.jpg");
  return decode(photo, (image) => {
    image.removeProfile("exif");
    image.setProfile("exif", exifWithOrientation(1));
    image.orientation = Orientation.RightTop;
    return image.write(MagickFormat.Jpeg, (data) => data.slice());
  });
}

Deno.test("inspectImage applies EXIF orientation 6 and returns an upright copy", async () => {
  await initMagick();
  const sideways = await rotatedJpeg();
  // The fixture really carries orientation 6 and is stored landscape.
  decode(sideways, (image) => {
    assert.equal(image.orientation, Orientation.RightTop);
    assert.equal(Number(Orientation.RightTop), 6);
    assert.equal(image.width, 1920);
    assert.equal(image.height, 1280);
  });

  const result = inspectImage(sideways, LIMITS);
  assert.equal(result.format, "jpeg");
  assert.equal(result.mime, "image/jpeg");
  assert.equal(result.orientation, 6);
  assert.equal(result.width, 1280);
  assert.equal(result.height, 1920);
  assert.ok(result.normalized, "an image that needed rotating must come with an upright copy");
  assert.equal(sniffFormat(result.normalized), "jpeg");

  // The upright copy is portrait, says TopLeft, and matches the pixels rotated 90° clockwise.
  decode(sideways, (expected) => {
    expected.rotate(90);
    const wrongWay = expected.clone((copy) => {
      copy.rotate(180);
      return copy.write(MagickFormat.Png, (data) => data.slice());
    });
    decode(result.normalized!, (upright) => {
      assert.equal(upright.width, 1280);
      assert.equal(upright.height, 1920);
      assert.equal(upright.orientation, Orientation.TopLeft);
      const error = upright.compare(expected, ErrorMetric.RootMeanSquared);
      decode(wrongWay, (other) => {
        const wrong = upright.compare(other, ErrorMetric.RootMeanSquared);
        assert.ok(error < 0.05, `rotated copy differs from the expected upright image: ${error}`);
        assert.ok(
          wrong > error * 3,
          `rotation direction not distinguishable: ${error} vs ${wrong}`,
        );
      });
    });
  });

  // Inspecting the upright copy again finds nothing left to do.
  const again = inspectImage(result.normalized, LIMITS);
  assert.equal(again.orientation, 1);
  assert.equal(again.normalized, null);
  assert.equal(again.width, 1280);
  assert.equal(again.height, 1920);

  // The thumbnail is portrait too.
  decode(result.thumbnail, (thumb) => {
    assert.equal(thumb.height, 256);
    assert.equal(thumb.width, 171);
  });
});

Deno.test("an upright JPEG is inspected without an extra re-encoding", async () => {
  await initMagick();
  const result = inspectImage(await fixturePhoto("sample1.jpg"), LIMITS);
  assert.equal(result.orientation, 1);
  assert.equal(result.normalized, null);
  assert.equal(result.width, 1920);
  assert.equal(result.height, 1280);
  decode(result.thumbnail, (thumb) => {
    assert.equal(thumb.width, 256);
    assert.equal(thumb.height, 171);
  });
});

Deno.test("a PNG with transparency gets a thumbnail with white, not black, behind it", async () => {
  await initMagick();
  // An opaque red 100×100 square centred on 400×300 of transparent *black* (RGBA 0,0,0,0):
  // dropping the alpha channel naively would turn the surroundings black.
  const png = (() => {
    const image = MagickImage.create(new MagickColor(255, 0, 0, 255), 100, 100);
    try {
      image.backgroundColor = new MagickColor(0, 0, 0, 0);
      image.extent(400, 300, Gravity.Center);
      return image.write(MagickFormat.Png, (data) => data.slice());
    } finally {
      image.dispose();
    }
  })();
  assert.equal(sniffFormat(png), "png");
  decode(png, (image) => assert.ok(image.hasAlpha, "the test PNG must have an alpha channel"));

  const result = inspectImage(png, LIMITS);
  assert.equal(result.mime, "image/png");
  assert.equal(result.normalized, null);
  for (const thumbnail of [result.thumbnail, thumbnailOf(png, 128)]) {
    assert.equal(sniffFormat(thumbnail), "jpeg");
    decode(thumbnail, (thumb) => {
      for (const [x, y] of [[0, 0], [thumb.width - 1, thumb.height - 1], [5, thumb.height - 5]]) {
        const [r, g, b] = rgbAt(thumb, x, y);
        assert.ok(r > 240 && g > 240 && b > 240, `pixel ${x},${y} is ${r},${g},${b}, not white`);
      }
      const [r, g, b] = rgbAt(thumb, Math.floor(thumb.width / 2), Math.floor(thumb.height / 2));
      assert.ok(r > 200 && g < 60 && b < 60, `centre is ${r},${g},${b}, not red`);
    });
  }
});

Deno.test("an image over the pixel limit is refused with 422 image_too_large", async () => {
  await initMagick();
  const photo = await fixturePhoto("sample1.jpg");
  assert.throws(
    () => inspectImage(photo, { maxPixels: 1920 * 1280 - 1, thumbnailSize: 256 }),
    (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 422);
      assert.equal(error.code, "image_too_large");
      assert.deepEqual(error.details, { width: 1920, height: 1280, max_pixels: 1920 * 1280 - 1 });
      assert.match(error.message, /MAX_IMAGE_PIXELS/);
      return true;
    },
  );
  // Exactly at the limit is allowed.
  const atLimit = inspectImage(photo, { maxPixels: 1920 * 1280, thumbnailSize: 64 });
  assert.equal(atLimit.width, 1920);
});

Deno.test("a WebP made from a photo is accepted as image/webp", async () => {
  await initMagick();
  const webp = decode(
    await fixturePhoto("sample1.jpg"),
    (image) => image.write(MagickFormat.WebP, (data) => data.slice()),
  );
  assert.equal(sniffFormat(webp), "webp");
  const result = inspectImage(webp, LIMITS);
  assert.equal(result.format, "webp");
  assert.equal(result.mime, "image/webp");
  assert.equal(result.width, 1920);
  assert.equal(result.height, 1280);
  assert.equal(result.orientation, 1);
  assert.equal(result.normalized, null);
  assert.equal(sniffFormat(result.thumbnail), "jpeg");
  decode(result.thumbnail, (thumb) => assert.equal(Math.max(thumb.width, thumb.height), 256));
});

Deno.test("inspectImage refuses empty, foreign and truncated files with clear codes", async () => {
  await initMagick();
  assert.throws(() => inspectImage(new Uint8Array(), LIMITS), {
    name: "AppError",
    code: "empty_file",
  });
  assert.throws(
    () => inspectImage(new TextEncoder().encode("GIF89a\x01\0\x01\0"), LIMITS),
    (error: unknown) =>
      error instanceof AppError && error.status === 415 &&
      (error.details as { detected: string }).detected === "gif",
  );
  const photo = await fixturePhoto("sample1.jpg");
  assert.throws(
    () => inspectImage(photo.subarray(0, Math.floor(photo.length / 2)), LIMITS),
    (error: unknown) =>
      error instanceof AppError && error.status === 422 && error.code === "corrupt_image",
  );
});

Deno.test("shrinkOnLoad scales a large JPEG down while decoding and never enlarges a small one", async () => {
  await initMagick();
  const photo = await fixturePhoto("sample1.jpg"); // 1920 px wide
  const decodedWidth = (bytes: Uint8Array, longSide: number) =>
    withDecoded(bytes, (image) => image.width, shrinkOnLoad(bytes, longSide));
  const shrunk = decodedWidth(photo, 256);
  assert.ok(shrunk >= 256 && shrunk <= 512, `decoded ${shrunk} px wide`);
  const thumbnail = thumbnailOf(photo, 256); // 256 px on its longer side
  assert.equal(shrinkOnLoad(thumbnail, 256), undefined);
  assert.equal(shrinkOnLoad(thumbnail, 384), undefined);
  assert.equal(decodedWidth(thumbnail, 384), 256, "decoded at its own size, not doubled");
  assert.equal(shrinkOnLoad(new Uint8Array([1, 2, 3]), 256), undefined, "left to the decoder");
});
