import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { AppError } from "../errors.ts";
import { ImageService } from "../imaging/image_service.ts";
import type { InspectedImage } from "../imaging/magick_ops.ts";
import { WorkerCrashedError, WorkerPool } from "./pool.ts";
import { jpegSize } from "../../tests/fixtures/image_size.ts";

const SCRIPT = new URL("./worker_main.ts", import.meta.url);

/** Runs `use` with a ready pool and always closes it, so no worker outlives its test. */
async function withPool(size: number, use: (pool: WorkerPool) => Promise<void>): Promise<void> {
  const pool = new WorkerPool({ size, script: SCRIPT, name: "pool-test" });
  try {
    await pool.ready();
    await use(pool);
  } finally {
    pool.close();
  }
}

Deno.test("WorkerPool.ready resolves once the magick engine is loaded", async () => {
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

Deno.test("WorkerPool runs a task and returns its result", async () => {
  await withPool(1, async (pool) => {
    const payload = { text: "héllo", list: [1, 2, 3], nested: { ok: true } };
    assert.deepEqual(await pool.run("test.echo", payload), payload);
    assert.equal(pool.stats().completed, 1);
  });
});

Deno.test("WorkerPool rejects an unknown operation with an ordinary Error", async () => {
  await withPool(1, async (pool) => {
    await assert.rejects(pool.run("no.such.op", null), (error: Error) => {
      assert.ok(!(error instanceof AppError));
      assert.match(error.message, /Unknown worker operation no\.such\.op/);
      return true;
    });
    // The worker is still usable afterwards.
    assert.equal(await pool.run("test.echo", 7), 7);
  });
});

Deno.test("WorkerPool queues more tasks than workers and completes all of them", async () => {
  await withPool(2, async (pool) => {
    const count = 12;
    const finished: number[] = [];
    const tasks = Array.from(
      { length: count },
      (_, i) =>
        pool.run<{ i: number }>("test.echo", { i }).then((result) => {
          finished.push(result.i);
          return result.i;
        }),
    );
    // Dispatch is synchronous once workers are ready: two running, the rest waiting.
    const during = pool.stats();
    assert.equal(during.busy, 2);
    assert.equal(during.queued, count - 2);

    assert.deepEqual(await Promise.all(tasks), Array.from({ length: count }, (_, i) => i));
    assert.deepEqual(
      [...finished].sort((a, b) => a - b),
      Array.from({ length: count }, (_, i) => i),
    );
    const after = pool.stats();
    assert.equal(after.completed, count);
    assert.equal(after.busy, 0);
    assert.equal(after.queued, 0);
  });
});

Deno.test("WorkerPool with one worker completes tasks strictly in submission order", async () => {
  await withPool(1, async (pool) => {
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => pool.run("test.echo", i).then(() => finished.push(i))),
    );
    assert.deepEqual(finished, [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

Deno.test("a crashing worker fails only its task and is replaced", async () => {
  await withPool(2, async (pool) => {
    const crash = pool.run("test.crash", null);
    const echo = pool.run("test.echo", "still here");
    const [crashed, echoed] = await Promise.allSettled([crash, echo]);

    assert.equal(crashed.status, "rejected");
    assert.ok(
      crashed.reason instanceof WorkerCrashedError,
      `expected WorkerCrashedError, got ${crashed.reason}`,
    );
    assert.match(crashed.reason.message, /test\.crash/);
    assert.deepEqual(echoed, { status: "fulfilled", value: "still here" });

    // The pool keeps its size and keeps working, including the replacement worker.
    assert.equal(pool.stats().size, 2);
    assert.equal(pool.stats().crashes, 1);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pool.run("test.echo", i)),
    );
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5]);
    const stats = pool.stats();
    assert.equal(stats.size, 2);
    assert.equal(stats.crashes, 1);
    assert.equal(stats.busy, 0);
    assert.ok(stats.engines.includes("magick"));
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

Deno.test("run() with a transfer list moves the buffer and the worker sees every byte", async () => {
  await withPool(1, async (pool) => {
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    const expected = data.slice();
    const echoed = await pool.run<Uint8Array>("test.echo", data, [data.buffer]);
    // Moved, not copied: the sender's buffer is detached.
    assert.equal(data.byteLength, 0);
    assert.deepEqual(echoed, expected);
  });
});

Deno.test("close() rejects queued and running tasks, and later runs", async () => {
  const pool = new WorkerPool({ size: 1, script: SCRIPT, name: "pool-test" });
  try {
    await pool.ready();
    const tasks = [1, 2, 3].map((i) => pool.run("test.echo", i));
    assert.equal(pool.stats().queued, 2);
    pool.close();
    const settled = await Promise.allSettled(tasks);
    for (const outcome of settled) {
      assert.equal(outcome.status, "rejected");
      assert.match(String(outcome.reason), /closed/);
    }
    await assert.rejects(pool.run("test.echo", 4), /closed/);
    assert.equal(pool.stats().queued, 0);
  } finally {
    pool.close();
  }
});

Deno.test("close() before the workers are ready rejects the tasks waiting for them", async () => {
  const pool = new WorkerPool({ size: 1, script: SCRIPT, name: "pool-test" });
  const task = pool.run("test.echo", "never");
  pool.close();
  await assert.rejects(task, /closed/);
});
