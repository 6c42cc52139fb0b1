/**
 * The dialect module on both databases: values round-trip as the same JavaScript values,
 * the migrations build the same schema (constraints included), and the PostgreSQL-only
 * behaviour the service relies on — the writer lock, migrating from two instances at once,
 * a failed connection — does what `docs/data-model.md` says.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import {
  type Backend,
  BACKENDS,
  freshPostgresUrl,
  openTestDatabase,
} from "../../tests/_postgres.ts";
import { type Db, migrateToLatest } from "./database.ts";
import {
  connectDatabase,
  dialectOf,
  isoTimestamp,
  type OpenedDatabase,
  rowLockingTransaction,
} from "./dialect.ts";
import { migrationProvider } from "./migrations/index.ts";

const NOW = "2026-01-01T00:00:00.000Z";

async function withDb(backend: Backend, use: (db: Db) => Promise<void>): Promise<void> {
  const opened = await openTestDatabase(backend);
  try {
    await use(opened.db);
  } finally {
    await opened.close();
  }
}

async function manifest(db: Db, id: string): Promise<void> {
  await db.insertInto("manifests").values({ id, name: id, created_at: NOW, updated_at: NOW })
    .execute();
}

async function asset(db: Db, id: string, manifestId: string, tag: string | null = null) {
  await db.insertInto("assets").values({
    id,
    manifest_id: manifestId,
    asset_type: "CHARACTER",
    name: id,
    manifest_tag: tag,
    created_at: NOW,
    updated_at: NOW,
  }).execute();
}

for (const backend of BACKENDS) {
  Deno.test(`rows read back as the same JavaScript values (${backend})`, async () => {
    await withDb(backend, async (db) => {
      assert.equal(dialectOf(db), backend);
      await manifest(db, "m1");
      const embedding = new Float32Array([0.1, -0.25, 1 / 3]);
      await db.insertInto("assets").values({
        id: "a1",
        manifest_id: "m1",
        asset_type: "CHARACTER",
        name: "a",
        quality_score: 7.3,
        detection_confidence: 0.9123,
        is_face_crop: 1,
        face_embedding: new Uint8Array(embedding.buffer),
        created_at: NOW,
        updated_at: NOW,
      }).execute();
      const row = await db.selectFrom("assets").selectAll().executeTakeFirstOrThrow();
      assert.equal(row.quality_score, 7.3, "eight-byte floats");
      assert.equal(row.detection_confidence, 0.9123);
      assert.equal(row.is_face_crop, 1, "booleans stay 0/1");
      assert.equal(row.sort_order, 0);
      assert.ok(row.face_embedding instanceof Uint8Array);
      assert.equal(row.face_embedding.byteOffset % 4, 0, "a Float32Array can view it");
      assert.deepEqual(
        new Float32Array(row.face_embedding.buffer, row.face_embedding.byteOffset, 3),
        embedding,
      );
      const { n } = await db.selectFrom("assets").select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      assert.equal(n, 1, "count(*) is a number");
      const event = await db.insertInto("events").values({
        topic: "manifest:x" as never,
        type: "step",
        job_id: null,
        payload: "{}",
        created_at: NOW,
      }).returning("seq").executeTakeFirstOrThrow();
      assert.equal(event.seq, 1, "seq is a number");
      const { max } = await db.selectFrom("events").select((eb) => eb.fn.max("seq").as("max"))
        .executeTakeFirstOrThrow();
      assert.equal(max, 1);
    });
  });

  Deno.test(`the database clock is written like every timestamp (${backend})`, async () => {
    await withDb(backend, async (db) => {
      const { rows: [{ now, later }] } = await sql<{ now: string; later: string }>`
        select ${isoTimestamp(db)} as now, ${isoTimestamp(db, 30)} as later`.execute(db);
      assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(now) - Date.now()) < 60_000, `${now} is about now`);
      assert.equal(Math.round((Date.parse(later) - Date.parse(now)) / 1000), 30);
    });
  });

  Deno.test(`the schema's constraints hold (${backend})`, async () => {
    await withDb(backend, async (db) => {
      await manifest(db, "m1");
      await manifest(db, "m2");
      await asset(db, "a1", "m1", "CHAR_01");
      await assert.rejects(() => asset(db, "a2", "m1", "CHAR_01"), /unique/i);
      await asset(db, "a3", "m2", "CHAR_01");
      await asset(db, "a4", "m1");
      await asset(db, "a5", "m1");
      await assert.rejects(() => asset(db, "orphan", "no-such-manifest"), /foreign key/i);
      // identities.primary_asset_id references assets (added after both tables exist).
      await db.insertInto("identities")
        .values({ id: "i1", manifest_id: "m1", primary_asset_id: "a1", created_at: NOW })
        .execute();
      await assert.rejects(
        () =>
          db.insertInto("identities")
            .values({ id: "i2", manifest_id: "m1", primary_asset_id: "nope", created_at: NOW })
            .execute(),
        /foreign key/i,
      );
      await db.deleteFrom("assets").where("id", "=", "a1").execute();
      const identity = await db.selectFrom("identities").selectAll().executeTakeFirstOrThrow();
      assert.equal(identity.primary_asset_id, null, "set null when the asset goes");
      await db.insertInto("projects")
        .values({
          id: "p1",
          title: "t",
          prompt: "p",
          manifest_id: "m2",
          created_at: NOW,
          updated_at: NOW,
        })
        .execute();
      await assert.rejects(
        () => db.deleteFrom("manifests").where("id", "=", "m2").execute(),
        /foreign key/i,
      );
      await db.deleteFrom("manifests").where("id", "=", "m1").execute();
      const left = await db.selectFrom("assets").select("id").orderBy("id").execute();
      assert.deepEqual(left.map((row) => row.id), ["a3"], "a manifest's assets cascade");
    });
  });
}

Deno.test("PostgreSQL: 0004 keys existing jobs inside the migrator's transaction", async () => {
  const opened = await connectDatabase({ url: await freshPostgresUrl(), sqlitePath: "" });
  const db = opened.db;
  try {
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo("0003_prompt_tokens")).error, undefined);
    await sql`insert into jobs (id, kind, target_id, status, params, created_at) values
      ('j1', 'reprocess_asset', 'asset-1', 'succeeded', ${'{"manifest_id":"m1"}'}, ${NOW}),
      ('j2', 'process_manifest', 'm2', 'succeeded', '{}', ${NOW})`.execute(db);
    const to0004 = await migrator.migrateTo("0004_job_serial_key");
    assert.equal(to0004.error, undefined);
    assert.deepEqual(to0004.results?.map((result) => result.migrationName), [
      "0004_job_serial_key",
    ]);
    const rows = await db.selectFrom("jobs").select(["id", "serial_key"]).orderBy("id").execute();
    assert.deepEqual(rows.map((row) => [row.id, row.serial_key]), [["j1", "m1"], ["j2", "m2"]]);
    assert.equal((await migrator.migrateDown()).error, undefined);
  } finally {
    await opened.close();
  }
});

Deno.test("PostgreSQL: instances starting together migrate once", async () => {
  const url = await freshPostgresUrl();
  const handles: OpenedDatabase[] = [];
  try {
    for (let i = 0; i < 3; i++) handles.push(await connectDatabase({ url, sqlitePath: "" }));
    const applied = await Promise.all(handles.map((handle) => migrateToLatest(handle.db)));
    const all = Object.keys(await migrationProvider.getMigrations()).length;
    assert.deepEqual(applied.map((names) => names.length).sort(), [0, 0, all]);
  } finally {
    for (const handle of handles) await handle.close();
  }
});

Deno.test("PostgreSQL: plain write transactions take turns; row-locking ones do not wait", async () => {
  const url = await freshPostgresUrl();
  const [a, b] = [
    await connectDatabase({ url, sqlitePath: "" }),
    await connectDatabase({ url, sqlitePath: "" }),
  ];
  try {
    await migrateToLatest(a.db);
    const { promise: release, resolve: open } = Promise.withResolvers<void>();
    const { promise: holding, resolve: holds } = Promise.withResolvers<void>();
    const first = a.db.transaction().execute(async (trx) => {
      await manifest(trx, "first");
      holds();
      await release;
    });
    await holding;
    const order: string[] = [];
    const second = b.db.transaction().execute(async (trx) => {
      order.push("plain began");
      await manifest(trx, "second");
    });
    await rowLockingTransaction(b.db).execute(async (trx) => {
      await manifest(trx, "row-locking");
      order.push("row-locking done");
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    order.push("first releases");
    open();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["row-locking done", "first releases", "plain began"]);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("PostgreSQL: a server that does not answer fails connectDatabase", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    () => connectDatabase({ url: `postgres://x@127.0.0.1:${port}/x`, sqlitePath: "" }),
    /ECONNREFUSED|refused/i,
  );
});
