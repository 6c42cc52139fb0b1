/**
 * The hub's fan-out on both backends, and across instances on PostgreSQL: every frame
 * reaches a follower on another instance, in order per topic, even when frames of
 * different topics commit out of `seq` order; `since` replays exactly what was missed;
 * a lost LISTEN connection is made up for.
 */
import assert from "node:assert/strict";
import type { Db } from "../db/database.ts";
import { lockKey, notify, type OpenedDatabase, rowLockingTransaction } from "../db/dialect.ts";
import type { Topic } from "../db/vocabulary.ts";
import {
  type Backend,
  BACKENDS,
  freshPostgresUrl,
  openTestDatabase,
} from "../../tests/_postgres.ts";
import { sql } from "kysely";
import { connectDatabase } from "../db/dialect.ts";
import { migrateToLatest } from "../db/database.ts";
import { EventHub } from "./event_hub.ts";
import { appendFrame, EVENTS_CHANNEL, framesSince, recordFrame } from "./event_log.ts";
import type { Frame } from "./frames.ts";

const X: Topic = "manifest:00000000-0000-4000-8000-0000000000a1";
const Y: Topic = "manifest:00000000-0000-4000-8000-0000000000b2";

/** One instance: a database handle and its hub. */
interface Instance {
  readonly opened: OpenedDatabase;
  readonly db: Db;
  readonly hub: EventHub;
}

async function instance(opened: OpenedDatabase): Promise<Instance> {
  const hub = new EventHub(opened.db, { shared: opened.notifications });
  await hub.start();
  return { opened, db: opened.db, hub };
}

async function closeAll(instances: Instance[]): Promise<void> {
  for (const { hub, opened } of instances) {
    hub.stop();
    await opened.close();
  }
}

/** `count` instances on one fresh PostgreSQL database (migrated by the first). */
async function instances(count: number): Promise<Instance[]> {
  const url = await freshPostgresUrl();
  const list: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const opened = await connectDatabase({ url, sqlitePath: "" });
    if (i === 0) await migrateToLatest(opened.db);
    list.push(await instance(opened));
  }
  return list;
}

/** Resolves once `frames` holds `count` entries (or rejects after `ms`). */
async function until(frames: unknown[], count: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (frames.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`Got ${frames.length} of ${count} frames: ${JSON.stringify(frames)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

for (const backend of BACKENDS) {
  Deno.test(`a follower gets the replay after since, then live frames, once each (${backend})`, async () => {
    const one = await instance(await openTestDatabase(backend as Backend));
    try {
      const early = [];
      for (let i = 0; i < 3; i++) {
        early.push(await one.hub.emit({ topic: X, type: "progress", jobId: null, payload: { i } }));
      }
      const got: Frame[] = [];
      const following = await one.hub.follow([X], early[0]!.seq, (frame) => got.push(frame));
      for (let i = 3; i < 6; i++) {
        await one.hub.emit({ topic: X, type: "progress", jobId: null, payload: { i } });
      }
      await until(got, 5);
      following.close();
      assert.deepEqual(got.map((frame) => frame.i), [1, 2, 3, 4, 5]);
      assert.equal(following.lastSeq, got[4].seq);
    } finally {
      await closeAll([one]);
    }
  });

  Deno.test(`a batch of frames gets consecutive seq and reaches followers in order (${backend})`, async () => {
    const one = await instance(await openTestDatabase(backend as Backend));
    try {
      const got: Frame[] = [];
      const following = await one.hub.follow([X], 0, (frame) => got.push(frame));
      const frame = (i: number) => ({
        topic: X,
        type: "asset" as const,
        jobId: "job",
        payload: { i },
      });
      await one.hub.emit(frame(0));
      const batch = await one.hub.emitMany({
        topic: X,
        type: "asset",
        jobId: "job",
        payloads: [1, 2, 3].map((i) => ({ i })),
        stillCurrent: () => Promise.resolve(true),
      });
      await one.hub.emit(frame(4));
      assert.deepEqual(await one.hub.emitMany({ ...frame(5), payloads: [] }), []);
      await until(got, 5);
      following.close();
      assert.deepEqual(got.map((f) => f.i), [0, 1, 2, 3, 4]);
      assert.deepEqual(batch.map((f) => f.i), [1, 2, 3]);
      assert.deepEqual(batch.map((f) => f.seq), [1, 2, 3].map((k) => batch[0].seq + k - 1));
      assert.deepEqual(await framesSince(one.db, [X], 0), got, "stored as delivered");
    } finally {
      await closeAll([one]);
    }
  });

  Deno.test(`a batch whose stillCurrent answers false is dropped whole (${backend})`, async () => {
    const one = await instance(await openTestDatabase(backend as Backend));
    try {
      let asked = 0;
      const dropped = await one.hub.emitMany({
        topic: X,
        type: "asset",
        jobId: "job",
        payloads: [{ i: 1 }, { i: 2 }],
        stillCurrent: () => {
          asked++;
          return Promise.resolve(false);
        },
      });
      assert.deepEqual(dropped, []);
      assert.equal(asked, 1, "asked once for the whole batch");
      assert.deepEqual(await framesSince(one.db, [X], 0), []);
    } finally {
      await closeAll([one]);
    }
  });

  Deno.test(`a frame whose stillCurrent answers false is dropped (${backend})`, async () => {
    const one = await instance(await openTestDatabase(backend as Backend));
    try {
      const dropped = await one.hub.emit({
        topic: X,
        type: "progress",
        jobId: "job",
        payload: {},
        stillCurrent: () => Promise.resolve(false),
      });
      assert.equal(dropped, null);
      assert.deepEqual(await framesSince(one.db, [X], 0), []);
    } finally {
      await closeAll([one]);
    }
  });
}

Deno.test("a follower on instance B gets every frame instance A emits, in order", async () => {
  const [a, b] = await instances(2);
  try {
    const got: Frame[] = [];
    const arrivals: number[] = [];
    const following = await b.hub.follow([X], null, (frame) => {
      arrivals.push(performance.now());
      got.push(frame);
    });
    const sent: Frame[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const before = performance.now();
      const frame = await a.hub.emit({ topic: X, type: "progress", jobId: null, payload: { i } });
      sent.push(frame!);
      await until(got, i + 1);
      latencies.push(arrivals[i] - before);
    }
    following.close();
    assert.deepEqual(got, sent);
    latencies.sort((p, q) => p - q);
    console.log(
      `emit on A → delivered on B: median ${latencies[25].toFixed(2)} ms, ` +
        `p95 ${latencies[47].toFixed(2)} ms (50 frames)`,
    );
  } finally {
    await closeAll([a, b]);
  }
});

Deno.test("a batch emitted on instance A reaches a follower on B in order, between single frames", async () => {
  const [a, b] = await instances(2);
  try {
    const got: Frame[] = [];
    const following = await b.hub.follow([X], null, (frame) => got.push(frame));
    await b.hub.emit({ topic: X, type: "progress", jobId: null, payload: { i: 0 } });
    await a.hub.emitMany({
      topic: X,
      type: "asset",
      jobId: null,
      payloads: Array.from({ length: 250 }, (_, k) => ({ i: k + 1 })),
    });
    await b.hub.emit({ topic: X, type: "progress", jobId: null, payload: { i: 251 } });
    await until(got, 252);
    following.close();
    assert.deepEqual(got.map((frame) => frame.i), Array.from({ length: 252 }, (_, k) => k));
    assert.ok(got.every((frame, k) => k === 0 || frame.seq > got[k - 1].seq));
  } finally {
    await closeAll([a, b]);
  }
});

Deno.test("frames of one topic commit in seq order: a second writer waits for the first", async () => {
  const [a, b] = await instances(2);
  try {
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    const { promise: locked, resolve: hasLock } = Promise.withResolvers<void>();
    // A holds the topic's lock (stillCurrent runs under it) until the gate opens.
    const first = recordFrame(a.db, {
      topic: X,
      type: "progress",
      jobId: null,
      payload: { writer: "a" },
      stillCurrent: async () => {
        hasLock();
        await gate;
        return true;
      },
    }, "a");
    await locked;
    const second = recordFrame(
      b.db,
      { topic: X, type: "progress", jobId: null, payload: { writer: "b" } },
      "b",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await framesSince(a.db, [X], 0), [], "B did not commit past A's lock");
    open();
    const [one, two] = [(await first)!, (await second)!];
    assert.ok(one.frame.seq < two.frame.seq, "the seq is drawn under the lock");
    assert.equal(two.previousSeq, one.frame.seq);
  } finally {
    await closeAll([a, b]);
  }
});

Deno.test("frames of two topics committed out of seq order all reach followers; since is exact", async () => {
  const [a, b, c] = await instances(3);
  try {
    const got: Frame[] = [];
    const following = await c.hub.follow([X, Y], null, (frame) => got.push(frame));

    // Transaction 1 (instance A) draws a seq on X and stays open…
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    const { promise: drawn, resolve: hasDrawn } = Promise.withResolvers<Frame>();
    const slow = rowLockingTransaction(a.db).execute(async (trx) => {
      await lockKey(trx, "topic", X);
      const frame = await appendFrame(trx, {
        topic: X,
        type: "step",
        jobId: null,
        payload: { slow: true },
      });
      await notify(trx, EVENTS_CHANNEL, `a ${frame.seq} ${X}`);
      hasDrawn(frame);
      await gate;
      return frame;
    });
    const low = await drawn;
    // …while transaction 2 (instance B) draws a higher seq on Y and commits first.
    const high = (await b.hub.emit({ topic: Y, type: "step", jobId: null, payload: {} }))!;
    assert.ok(low.seq < high.seq);
    await until(got, 1);
    assert.deepEqual(got.map((frame) => frame.seq), [high.seq]);
    // A reader remembering "the highest seq seen" would now skip `low` for good.
    assert.deepEqual((await framesSince(c.db, [X, Y], 0)).map((f) => f.seq), [high.seq]);

    // A client that got `high` on Y and nothing on X disconnects before X commits…
    const sinceX = 0, sinceY = high.seq;
    open();
    await slow;
    await until(got, 2);
    following.close();
    assert.deepEqual(got.map((frame) => frame.seq), [high.seq, low.seq], "commit order");

    // …and resumes on another instance with one since per topic: exactly the missed frame.
    const replayed: Frame[] = [];
    const x = await b.hub.follow([X], sinceX, (frame) => replayed.push(frame));
    const y = await b.hub.follow([Y], sinceY, (frame) => replayed.push(frame));
    x.close();
    y.close();
    assert.deepEqual(replayed.map((frame) => frame.seq), [low.seq]);
  } finally {
    await closeAll([a, b, c]);
  }
});

Deno.test("after the LISTEN connection dies, a follower gets what was emitted meanwhile", async () => {
  const [a, b] = await instances(2);
  try {
    const got: Frame[] = [];
    const following = await b.hub.follow([X], null, (frame) => got.push(frame));
    await a.hub.emit({ topic: X, type: "progress", jobId: null, payload: { n: 1 } });
    await until(got, 1);
    // Kill the listening sessions from the server side, then emit while they are gone.
    const killed = await sql<{ n: number }>`
      select count(pg_terminate_backend(pid)) as n from pg_stat_activity
      where query like 'LISTEN%' and pid <> pg_backend_pid()`.execute(a.db);
    assert.ok(killed.rows[0].n >= 1);
    for (let n = 2; n <= 4; n++) {
      await a.hub.emit({ topic: X, type: "progress", jobId: null, payload: { n } });
    }
    await until(got, 4, 10_000);
    following.close();
    assert.deepEqual(got.map((frame) => frame.n), [1, 2, 3, 4]);
  } finally {
    await closeAll([a, b]);
  }
});
