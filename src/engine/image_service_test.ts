/** The image operations in a real engine worker, through {@linkcode ImageService}. */
import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { jpegSize } from "../../tests/fixtures/image_size.ts";
import { AppError } from "../errors.ts";
import type { InspectedImage } from "../imaging/magick_ops.ts";
import { type EnginePool, startEnginePool } from "./engine_pool.ts";
import { ImageService } from "./image_service.ts";

/** Runs `use` with a ready pool and always closes it, so no worker outlives its test. */
async function withPool(size: number, use: (pool: EnginePool) => Promise<void>): Promise<void> {
  const pool = startEnginePool({ size, name: "image-service-test" });
  try {
    await pool.ready();
    await use(pool);
  } finally {
    pool.close();
  }
}

Deno.test("an engine pool is ready once the magick engine is loaded", async () => {
  await withPool(2, (pool) => {
    const stats = pool.stats();
    assert.ok(stats.engines.includes("magick"), `engines: ${stats.engines.join(", ")}`);
    assert.equal(stats.size, 2);
    assert.equal(stats.busy, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.crashes, 0);
    return Promise.resolve();
  });
});

Deno.test("an AppError thrown in a worker arrives as an AppError with its status", async () => {
  await withPool(1, async (pool) => {
    const images = new ImageService(pool, { maxPixels: 50_000_000 });
    const notAnImage = new TextEncoder().encode("just some text, not a picture\n");
    await assert.rejects(images.inspect(notAnImage), (error: unknown) => {
      assert.ok(error instanceof AppError, `expected AppError, got ${error}`);
      assert.equal(error.status, 415);
      assert.equal(error.kind, "unsupported_media_type");
      assert.equal(error.code, "unsupported_image_format");
      assert.deepEqual((error.details as { detected: string }).detected, "unknown");
      return true;
    });
    // A refused format keeps its name across the boundary too.
    await assert.rejects(images.inspect(new TextEncoder().encode("GIF89a\x01\0\x01\0")), {
      name: "AppError",
      code: "unsupported_image_format",
    });
  });
});

Deno.test("transferred image buffers arrive intact and results come back", async () => {
  const photo = await fixturePhoto("sample1.jpg");
  const original = photo.slice();
  await withPool(1, async (pool) => {
    const images = new ImageService(pool, { maxPixels: 50_000_000 });

    const inspected: InspectedImage = await images.inspect(photo);
    assert.equal(inspected.format, "jpeg");
    assert.equal(inspected.mime, "image/jpeg");
    assert.equal(inspected.width, 1920);
    assert.equal(inspected.height, 1280);
    assert.equal(inspected.orientation, 1);
    assert.equal(inspected.normalized, null);
    assert.ok(inspected.thumbnail instanceof Uint8Array);
    const thumb = jpegSize(inspected.thumbnail);
    assert.equal(Math.max(thumb.width, thumb.height), 256);
    assert.equal(thumb.width, 256);
    assert.equal(thumb.height, 171);
    // ImageService transfers a copy: the caller's bytes are untouched.
    assert.deepEqual(photo, original);

    const small = await images.thumbnail(photo, 96);
    assert.ok(small instanceof Uint8Array);
    const size = jpegSize(small);
    assert.equal(Math.max(size.width, size.height), 96);
    assert.equal(size.width, 96);
    assert.equal(size.height, 64);
    assert.deepEqual(photo, original);
  });
});
