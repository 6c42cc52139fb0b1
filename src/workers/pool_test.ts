/**
 * The generic pool and worker host, driven through a test worker module with its own small
 * ops map; what the service runs in the pool is tested in src/engine.
 */
import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import type { TestInit, TestOps } from "./_test_worker.ts";
import { WorkerCrashedError, WorkerPool } from "./pool.ts";

const SCRIPT = new URL("./_test_worker.ts", import.meta.url);

type TestPool = WorkerPool<TestOps>;

/** Runs `use` with a ready pool and always closes it, so no worker outlives its test. */
async function withPool(
  size: number,
  use: (pool: TestPool) => Promise<void>,
  init?: TestInit,
): Promise<void> {
  const pool = new WorkerPool<TestOps>({ size, script: SCRIPT, name: "pool-test", init });
  try {
    await pool.ready();
    await use(pool);
  } finally {
    pool.close();
  }
}

Deno.test("WorkerPool.ready resolves once every worker has loaded its engines", async () => {
  await withPool(2, (pool) => {
    const stats = pool.stats();
    assert.ok(stats.engines.includes("test"), `engines: ${stats.engines.join(", ")}`);
    assert.equal(stats.size, 2);
    assert.equal(stats.busy, 0);
    assert.equal(stats.queued, 0);
    assert.equal(stats.crashes, 0);
    return Promise.resolve();
  });
});

Deno.test("a worker's first task runs after its warm-up, which follows ready", async () => {
  await withPool(2, async (pool) => {
    assert.deepEqual(
      await Promise.all([pool.run("test.warmed", null), pool.run("test.warmed", null)]),
      [true, true],
    );
  }, { warmUpMs: 200 });
});

Deno.test("a warm-up that fails leaves the worker serving tasks", async () => {
  await withPool(1, async (pool) => {
    assert.equal(await pool.run("test.warmed", null), false);
    assert.deepEqual(await pool.run("test.echo", "still here"), "still here");
  }, { warmUpMs: 10, failWarmUp: "No warm-up today." });
});

Deno.test("a warm-up that throws at once leaves the worker ready and serving", async () => {
  await withPool(2, async (pool) => {
    assert.deepEqual(
      await Promise.all([pool.run("test.echo", 1), pool.run("test.echo", 2)]),
      [1, 2],
    );
    assert.equal(pool.stats().crashes, 0);
  }, { throwWarmUp: "No warm-up at all." });
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
    // A name the ops map does not have is a compile error; this one gets past it on purpose.
    // @ts-expect-error: "no.such.op" is not an operation of TestOps.
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
        pool.run("test.echo", { i }).then((result) => {
          const echoed = (result as { i: number }).i;
          finished.push(echoed);
          return echoed;
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
    assert.ok(stats.engines.includes("test"));
  });
});

Deno.test("an AppError thrown in a worker arrives as an AppError with its status", async () => {
  await withPool(1, async (pool) => {
    const details = { detected: "unknown" };
    const failure = pool.run("test.fail", {
      kind: "unsupported_media_type",
      code: "unsupported_image_format",
      message: "Not an image.",
      details,
    });
    await assert.rejects(failure, (error: unknown) => {
      assert.ok(error instanceof AppError, `expected AppError, got ${error}`);
      assert.equal(error.status, 415);
      assert.equal(error.kind, "unsupported_media_type");
      assert.equal(error.code, "unsupported_image_format");
      assert.equal(error.message, "Not an image.");
      assert.deepEqual(error.details, details);
      return true;
    });
    // The worker is still usable afterwards.
    assert.equal(await pool.run("test.echo", 1), 1);
  });
});

Deno.test("ready() rejects with the reason a worker could not start", async () => {
  const pool = new WorkerPool<TestOps>({
    size: 1,
    script: SCRIPT,
    name: "pool-test",
    init: { failStart: "No engine today." },
  });
  try {
    await assert.rejects(pool.ready(), /No engine today\./);
  } finally {
    pool.close();
  }
});

Deno.test("run() with a transfer list moves the buffer and the worker sees every byte", async () => {
  await withPool(1, async (pool) => {
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    const expected = data.slice();
    const echoed = await pool.run("test.echo", data, [data.buffer]);
    // Moved, not copied: the sender's buffer is detached.
    assert.equal(data.byteLength, 0);
    assert.deepEqual(echoed, expected);
  });
});

Deno.test("close() rejects queued and running tasks, and later runs", async () => {
  const pool = new WorkerPool<TestOps>({ size: 1, script: SCRIPT, name: "pool-test" });
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
  const pool = new WorkerPool<TestOps>({ size: 1, script: SCRIPT, name: "pool-test" });
  const task = pool.run("test.echo", "never");
  pool.close();
  await assert.rejects(task, /closed/);
});
