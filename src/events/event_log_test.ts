import assert from "node:assert/strict";
import type { Db } from "../db/database.ts";
import { type Backend, BACKENDS, openTestDatabase } from "../../tests/_postgres.ts";
import { EventBus } from "./event_bus.ts";
import { appendFrame, appendFrames, framesSince, lastSeq, pruneFrames } from "./event_log.ts";
import type { Frame } from "./frames.ts";
import type { Topic } from "../db/vocabulary.ts";

const A: Topic = "manifest:00000000-0000-4000-8000-00000000000a";
const B: Topic = "manifest:00000000-0000-4000-8000-00000000000b";

async function withDb(backend: Backend, use: (db: Db) => Promise<void>) {
  const opened = await openTestDatabase(backend);
  try {
    await use(opened.db);
  } finally {
    await opened.close();
  }
}

for (const backend of BACKENDS) {
  Deno.test(`frames get increasing seq across topics and replay exactly after since (${backend})`, async () => {
    await withDb(backend, async (db) => {
      assert.equal(await lastSeq(db), 0);
      const written: Frame[] = [];
      for (let i = 0; i < 6; i++) {
        written.push(
          await appendFrame(db, {
            topic: i % 2 ? B : A,
            type: "progress",
            jobId: "job-1",
            payload: { n: i },
          }),
        );
      }
      assert.deepEqual(written.map((f) => f.seq), [1, 2, 3, 4, 5, 6]);
      assert.equal(await lastSeq(db), 6);
      const missed = await framesSince(db, [A], 1);
      assert.deepEqual(missed.map((f) => [f.seq, f.n]), [[3, 2], [5, 4]]);
      assert.deepEqual(missed[0], written[2]);
      assert.deepEqual((await framesSince(db, [A, B], 4)).map((f) => f.seq), [5, 6]);
      assert.deepEqual(await framesSince(db, [], 0), []);
    });
  });

  Deno.test(`a batch of frames is stored with consecutive seq in payload order (${backend})`, async () => {
    await withDb(backend, async (db) => {
      await appendFrame(db, { topic: B, type: "progress", jobId: null, payload: {} });
      // More than one INSERT's worth of rows.
      const payloads = Array.from({ length: 1_234 }, (_, n) => ({ n, name: `asset ${n}` }));
      const stored = await db.transaction().execute((trx) =>
        appendFrames(trx, { topic: A, type: "asset", jobId: "job-1", payloads })
      );
      assert.deepEqual(stored.map((frame) => frame.seq), payloads.map((_, n) => n + 2));
      assert.deepEqual(stored.map((frame) => frame.n), payloads.map(({ n }) => n));
      assert.deepEqual(await framesSince(db, [A], 0, 5_000), stored);
    });
  });

  Deno.test(`retention keeps the newest frames of every topic (${backend})`, async () => {
    await withDb(backend, async (db) => {
      for (let i = 0; i < 10; i++) {
        await appendFrame(db, { topic: A, type: "progress", jobId: null, payload: { n: i } });
      }
      await appendFrame(db, { topic: B, type: "done", jobId: null, payload: {} });
      assert.equal(await pruneFrames(db, 3, [A, B]), 7);
      assert.deepEqual((await framesSince(db, [A], 0)).map((f) => f.n), [7, 8, 9]);
      assert.equal((await framesSince(db, [B], 0)).length, 1);
      // seq keeps increasing after pruning: a resuming client never sees a reused number.
      const next = await appendFrame(db, { topic: A, type: "done", jobId: null, payload: {} });
      assert.equal(next.seq, 12);
    });
  });
}

Deno.test("the bus delivers to the topic's listeners only, despite a throwing one", () => {
  const bus = new EventBus();
  const got: number[] = [];
  const stop = bus.subscribe(A, (frame) => got.push(frame.seq));
  bus.subscribe(A, () => {
    throw new Error("socket closed");
  });
  const frame = (seq: number, topic: Topic): Frame => ({
    seq,
    topic,
    ts: "2026-01-01T00:00:00.000Z",
    type: "progress",
    job_id: null,
  });
  bus.publish(frame(1, A));
  bus.publish(frame(2, B));
  stop();
  bus.publish(frame(3, A));
  assert.deepEqual(got, [1]);
  assert.equal(bus.listenerCount(A), 1);
  assert.equal(bus.listenerCount(B), 0);
});
