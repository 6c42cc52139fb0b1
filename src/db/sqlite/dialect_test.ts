import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type ColumnType, type Generated, Kysely, sql } from "kysely";
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  NodeSqliteDialect,
  openSqliteDatabase,
  toSqliteValue,
} from "./dialect.ts";

interface Schema {
  author: {
    id: Generated<number>;
    name: string;
    // SQLite has no boolean type: true/false go in, 1/0 come out.
    active: ColumnType<number, boolean, boolean>;
    embedding: Uint8Array | null;
  };
  book: { id: Generated<number>; author_id: number; title: string };
  counter: { id: number; value: number };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "node_sqlite_dialect_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function createSchema(db: Kysely<Schema>): Promise<void> {
  await db.schema.createTable("author")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("active", "integer", (c) => c.notNull())
    .addColumn("embedding", "blob")
    .execute();
  await db.schema.createTable("book")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("author_id", "integer", (c) => c.notNull().references("author.id"))
    .addColumn("title", "text", (c) => c.notNull())
    .execute();
  await db.schema.createTable("counter")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("value", "integer", (c) => c.notNull())
    .execute();
}

async function withMemoryDb(fn: (db: Kysely<Schema>) => Promise<void>): Promise<void> {
  const db = new Kysely<Schema>({ dialect: new NodeSqliteDialect({ path: ":memory:" }) });
  try {
    await createSchema(db);
    await fn(db);
  } finally {
    await db.destroy();
  }
}

Deno.test("insert, select, update and delete report typed rows, insertId and numAffectedRows", () =>
  withMemoryDb(async (db) => {
    const first = await db.insertInto("author").values({ name: "Ada", active: true })
      .executeTakeFirstOrThrow();
    assert.equal(first.insertId, 1n);
    assert.equal(first.numInsertedOrUpdatedRows, 1n);
    const second = await db.insertInto("author").values({ name: "Grace", active: false })
      .executeTakeFirstOrThrow();
    assert.equal(second.insertId, 2n);

    const rows = await db.selectFrom("author").select(["id", "name", "active"]).orderBy("id")
      .execute();
    assert.deepEqual(rows, [{ id: 1, name: "Ada", active: 1 }, {
      id: 2,
      name: "Grace",
      active: 0,
    }]);

    const updated = await db.updateTable("author").set({ active: true }).executeTakeFirstOrThrow();
    assert.equal(updated.numUpdatedRows, 2n);
    const deleted = await db.deleteFrom("author").where("name", "=", "Ada")
      .executeTakeFirstOrThrow();
    assert.equal(deleted.numDeletedRows, 1n);

    const returned = await db.insertInto("author").values({ name: "Edsger", active: true })
      .returning(["id", "name"]).executeTakeFirstOrThrow();
    assert.deepEqual(returned, { id: 3, name: "Edsger" });
  }));

Deno.test("booleans, undefined and BLOB parameters round trip", () =>
  withMemoryDb(async (db) => {
    const vector = new Float32Array([0.25, -1.5, 3.125, 1e-7]);
    await db.insertInto("author")
      .values({ name: "Vec", active: false, embedding: new Uint8Array(vector.buffer) })
      .execute();
    const row = await db.selectFrom("author").selectAll().executeTakeFirstOrThrow();
    assert.equal(row.active, 0);
    assert.ok(row.embedding instanceof Uint8Array);
    // Copy before reinterpreting: the returned bytes need not be 4-byte aligned.
    assert.deepEqual(new Float32Array(row.embedding.slice().buffer), vector);

    const { rows } = await sql<{ t: number; f: number; u: null; b: Uint8Array }>`
      select ${true} as t, ${false} as f, ${undefined} as u, ${new Uint8Array([1, 2]).buffer} as b
    `.execute(db);
    assert.deepEqual(rows, [{ t: 1, f: 0, u: null, b: new Uint8Array([1, 2]) }]);
  }));

Deno.test("unbindable parameters fail with an actionable error instead of shifting values", () => {
  assert.throws(() => toSqliteValue(new Date(0), 0), /Cannot bind a Date to SQLite parameter 1/);
  assert.throws(() => toSqliteValue({ a: 1 }, 2), /parameter 3; convert it/);
  assert.throws(() => toSqliteValue([1], 0), /Cannot bind an array/);
});

Deno.test("a file database is opened in WAL mode with the project pragmas", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/app.db`;
    const db = new Kysely<Schema>({
      dialect: new NodeSqliteDialect({ path, busyTimeoutMs: 1234 }),
    });
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
      assert.equal(await pragma("journal_mode"), "wal");
      assert.equal(await pragma("foreign_keys"), 1);
      assert.equal(await pragma("busy_timeout"), 1234);
      assert.equal(await pragma("synchronous"), 1); // NORMAL
      await createSchema(db);
      assert.ok(existsSync(`${path}-wal`));
    } finally {
      await db.destroy();
    }
    // Closing the last connection checkpoints and deletes the WAL, so this proves destroy() closed.
    assert.equal(existsSync(`${path}-wal`), false);

    const raw = openSqliteDatabase(path);
    try {
      assert.deepEqual({ ...raw.prepare("pragma busy_timeout").get() }, {
        timeout: DEFAULT_BUSY_TIMEOUT_MS,
      });
    } finally {
      raw.close();
    }
  }));

Deno.test("a read-only dialect can read but not write", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/ro.db`;
    const writer = openSqliteDatabase(path);
    writer.exec("create table note (body text); insert into note values ('hi')");
    const db = new Kysely<{ note: { body: string } }>({
      dialect: new NodeSqliteDialect({ path, readonly: true }),
    });
    try {
      assert.deepEqual(await db.selectFrom("note").selectAll().execute(), [{ body: "hi" }]);
      await assert.rejects(
        db.insertInto("note").values({ body: "no" }).execute(),
        /readonly database/,
      );
    } finally {
      await db.destroy();
      writer.close();
    }
  }));

Deno.test("foreign keys are enforced", () =>
  withMemoryDb(async (db) => {
    await assert.rejects(
      db.insertInto("book").values({ author_id: 42, title: "Orphan" }).execute(),
      /FOREIGN KEY constraint failed/,
    );
  }));

Deno.test("a transaction that throws is rolled back and the connection stays usable", () =>
  withMemoryDb(async (db) => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("author").values({ name: "Ghost", active: true }).execute();
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(await db.selectFrom("author").selectAll().execute(), []);

    const id = await db.transaction().execute(async (trx) => {
      const r = await trx.insertInto("author").values({ name: "Kept", active: true })
        .executeTakeFirstOrThrow();
      return r.insertId;
    });
    assert.equal(id, 1n);
  }));

Deno.test("savepoints roll back part of a controlled transaction", () =>
  withMemoryDb(async (db) => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto("author").values({ name: "Outer", active: true }).execute();
    const sp = await trx.savepoint("inner").execute();
    await sp.insertInto("author").values({ name: "Inner", active: true }).execute();
    const back = await sp.rollbackToSavepoint("inner").execute();
    await back.releaseSavepoint("inner").execute();
    await trx.commit().execute();
    const names = await db.selectFrom("author").select("name").execute();
    assert.deepEqual(names, [{ name: "Outer" }]);
  }));

Deno.test("transaction settings SQLite cannot honour are rejected or enforced", () =>
  withMemoryDb(async (db) => {
    await assert.rejects(
      db.transaction().setIsolationLevel("read committed").execute(async () => {}),
      /always serializable/,
    );
    await assert.rejects(
      db.transaction().setAccessMode("read only").execute(async (trx) => {
        await trx.insertInto("author").values({ name: "Sneaky", active: true }).execute();
      }),
      /readonly database/,
    );
    // query_only must be switched off again afterwards.
    await db.insertInto("author").values({ name: "Allowed", active: true }).execute();
  }));

Deno.test("concurrent async callers in one process are serialised", () =>
  withMemoryDb(async (db) => {
    await db.insertInto("counter").values({ id: 1, value: 0 }).execute();
    const read = () =>
      db.selectFrom("counter").select("value").where("id", "=", 1).executeTakeFirstOrThrow();
    const increment = () =>
      db.transaction().execute(async (trx) => {
        const { value } = await trx.selectFrom("counter").select("value").where("id", "=", 1)
          .executeTakeFirstOrThrow();
        await new Promise((resolve) => setTimeout(resolve, 1)); // yield mid-transaction
        await trx.updateTable("counter").set({ value: value + 1 }).where("id", "=", 1).execute();
      });

    const outside: Promise<{ value: number }>[] = [];
    const work = Array.from({ length: 50 }, (_, i) => {
      if (i % 5 === 0) outside.push(read());
      return increment();
    });
    await Promise.all(work);
    assert.equal((await read()).value, 50);
    // Plain queries issued between transactions waited for them and never saw a half-done one.
    const seen = (await Promise.all(outside)).map((r) => r.value);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));

    // A query started on `db` during a transaction waits for it and sees the committed row.
    let pending: Promise<unknown[]> | undefined;
    await db.transaction().execute(async (trx) => {
      pending = db.selectFrom("author").select("name").execute();
      await trx.insertInto("author").values({ name: "Committed", active: true }).execute();
    });
    assert.deepEqual(await pending, [{ name: "Committed" }]);
  }));

Deno.test("a long read lets timers run midway; overlapping reads in a transaction each get all rows", () =>
  withMemoryDb(async (db) => {
    const blob = new Uint8Array(512).fill(7);
    for (let start = 0; start < 40_000; start += 2_000) {
      await db.insertInto("author").values(
        Array.from({ length: 2_000 }, (_, i) => ({
          name: `author ${start + i}`,
          active: true,
          embedding: blob,
        })),
      ).execute();
    }
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      longestGap = Math.max(longestGap, performance.now() - last);
      last = performance.now();
    }, 1);
    try {
      const started = performance.now();
      const rows = await db.selectFrom("author").selectAll().execute();
      const ms = performance.now() - started;
      longestGap = Math.max(longestGap, performance.now() - last);
      assert.equal(rows.length, 40_000);
      assert.deepEqual(rows[39_999].embedding, blob);
      // Only meaningful when the read is long enough to be cut; it is on any machine seen.
      if (ms > 100) {
        assert.ok(
          longestGap < ms / 2,
          `timers waited ${Math.round(longestGap)} ms of ${Math.round(ms)}`,
        );
      }
    } finally {
      clearInterval(timer);
    }
    const both = await db.transaction().execute((trx) => {
      const read = () => trx.selectFrom("author").select("id").orderBy("id").execute();
      return Promise.all([read(), read()]);
    });
    assert.deepEqual(both.map((rows) => rows.length), [40_000, 40_000]);
    assert.deepEqual(both[0], both[1]);
  }));

Deno.test("stream() yields every row in chunks", () =>
  withMemoryDb(async (db) => {
    await db.insertInto("author")
      .values(Array.from({ length: 7 }, (_, i) => ({ name: `a${i}`, active: i % 2 === 0 })))
      .execute();
    const names: string[] = [];
    for await (const row of db.selectFrom("author").select("name").orderBy("id").stream(3)) {
      names.push(row.name);
    }
    assert.deepEqual(names, ["a0", "a1", "a2", "a3", "a4", "a5", "a6"]);
  }));

Deno.test("opening a database in a missing directory says what to do", () => {
  assert.throws(
    () => openSqliteDatabase("/nonexistent-dir-for-test/x.db"),
    /Check that the parent directory exists/,
  );
  assert.throws(() => openSqliteDatabase(":memory:", { busyTimeoutMs: -1 }), RangeError);
});

interface WriterResult {
  writer: string;
  committed: number;
  failed: number;
  firstErrors: string[];
  ms: number;
}

/** Starts `_concurrent_writer.ts` in its own Deno process, held at a barrier until `go()`. */
function spawnWriter(path: string, dir: string, writer: string, count: number) {
  const script = new URL("./_concurrent_writer.ts", import.meta.url);
  const config = new URL("../../../deno.json", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-lock",
      `--config=${config.pathname}`,
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      script.pathname,
      path,
      writer,
      String(count),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const readUntil = async (done: (s: string) => boolean) => {
    while (!done(out)) {
      const chunk = await reader.read();
      if (chunk.done) return;
      out += chunk.value;
    }
  };
  const ready = readUntil((s) => s.includes("ready\n")).then(async () => {
    if (!out.includes("ready\n")) throw new Error(`Writer ${writer} died early: ${await stderr}`);
  });
  return {
    ready,
    async go() {
      const stdin = child.stdin.getWriter();
      await stdin.write(new Uint8Array([1]));
      await stdin.close();
    },
    async result(): Promise<WriterResult> {
      await readUntil(() => false);
      const status = await child.status;
      if (!status.success) {
        throw new Error(`Writer ${writer} exited ${status.code}: ${await stderr}`);
      }
      await stderr;
      return JSON.parse(out.slice(out.indexOf("ready\n") + 6));
    },
    kill() {
      try {
        child.kill();
      } catch { /* already exited */ }
    },
  };
}

Deno.test("two processes writing concurrently lose nothing", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/shared.db`;
    const setup = openSqliteDatabase(path);
    setup.exec("create table ledger (seq integer primary key, writer text not null)");
    setup.close();

    const perWriter = 1500;
    const writers = ["a", "b"].map((name) => spawnWriter(path, dir, name, perWriter));
    let results: WriterResult[];
    let elapsed: number;
    try {
      await Promise.all(writers.map((w) => w.ready));
      const started = performance.now();
      await Promise.all(writers.map((w) => w.go()));
      results = await Promise.all(writers.map((w) => w.result()));
      elapsed = performance.now() - started;
    } catch (error) {
      writers.forEach((w) => w.kill());
      await Promise.allSettled(writers.map((w) => w.result()));
      throw error;
    }

    const check = openSqliteDatabase(path);
    const stats = {
      ...check.prepare(`select count(*) as n, max(seq) as top,
      count(distinct writer) as writers from ledger`).get(),
    };
    // How often consecutive rows came from different writers: shows the runs really overlapped.
    const { switches } = check.prepare(`select count(*) as switches from ledger l
      join ledger p on p.seq = l.seq - 1 where p.writer <> l.writer`).get() as { switches: number };
    check.close();
    console.log(
      `two writers x ${perWriter} transactions: ${stats.n} rows in ${Math.round(elapsed)} ms, ` +
        `${switches} writer switches (` +
        results.map((r) => `${r.writer}: ${r.committed} ok/${r.failed} failed in ${r.ms} ms`)
          .join(", ") +
        ")",
    );
    for (const r of results) {
      assert.deepEqual(r.firstErrors, [], `writer ${r.writer} failed ${r.failed} transactions`);
      assert.equal(r.committed, perWriter);
    }
    assert.deepEqual(stats, { n: 2 * perWriter, top: 2 * perWriter, writers: 2 });
  }));
