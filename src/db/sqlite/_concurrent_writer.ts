/**
 * Test helper run as a subprocess by dialect_test.ts: one of several processes writing to the same
 * SQLite file at once. Usage: `_concurrent_writer.ts <db path> <writer name> <transactions>`.
 *
 * Each transaction reads the current maximum `seq` and inserts `seq + 1`. That read-then-write
 * shape is the one that loses work without BEGIN IMMEDIATE (a deferred transaction cannot wait
 * for the write lock once it holds a read snapshot), and any interleaving shows up as a
 * duplicate primary key.
 *
 * @module
 */
import { Kysely, sql } from "kysely";
import { NodeSqliteDialect } from "./dialect.ts";

interface Schema {
  ledger: { seq: number; writer: string };
}

const [path, writer, countArg] = Deno.args;
const count = Number(countArg);
if (!path || !writer || !Number.isInteger(count)) {
  console.error("Usage: _concurrent_writer.ts <db path> <writer name> <transactions>");
  Deno.exit(2);
}

const db = new Kysely<Schema>({ dialect: new NodeSqliteDialect({ path }) });
await sql`select 1`.execute(db); // open (and switch to WAL) before the start signal

// Barrier: report readiness, then wait for the parent to release every writer at once.
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
await Deno.stdin.read(new Uint8Array(1));

const started = performance.now();
let committed = 0;
const errors: string[] = [];
for (let i = 0; i < count; i++) {
  try {
    await db.transaction().execute(async (trx) => {
      const { max } = await trx.selectFrom("ledger")
        .select((eb) => eb.fn.coalesce(eb.fn.max("seq"), eb.lit(0)).as("max"))
        .executeTakeFirstOrThrow();
      await trx.insertInto("ledger").values({ seq: Number(max) + 1, writer }).execute();
    });
    committed++;
    // A writer in a tight loop re-takes the lock before the other process's busy handler wakes,
    // so the runs would barely interleave; an occasional pause makes them alternate for real.
    if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 0));
  } catch (error) {
    errors.push((error as Error).message);
  }
}
await db.destroy();

const result = {
  writer,
  committed,
  failed: errors.length,
  firstErrors: [...new Set(errors)].slice(0, 3),
  ms: Math.round(performance.now() - started),
};
console.log(JSON.stringify(result));
