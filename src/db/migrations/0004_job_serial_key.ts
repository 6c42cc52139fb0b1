/**
 * Jobs get a `serial_key`: the thing two jobs must never work on at once (a manifest, a
 * project), chosen by the job's kind when it is queued. It replaces reading
 * `params.manifest_id` out of JSON on every claim and every "is this manifest busy?" check.
 *
 * SQLite cannot add a NOT NULL column without a default, and an empty default would let a
 * row without a key serialise with every other such row, so the table is rebuilt with the
 * column in place. Existing rows are keyed as the service keyed them before: the
 * `manifest_id` of their params, else their target. Only the schema builder and plain
 * queries are used, so another dialect can run the same migration.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { inTransaction } from "../dialect.ts";

/** The `jobs` table as migrations 0001 and 0002 left it. */
interface JobsBefore {
  id: string;
  kind: string;
  target_id: string;
  status: string;
  current_step: string | null;
  progress: string;
  error: string | null;
  attempts: number;
  params: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The rebuilt table: the same columns plus `serial_key`. */
interface JobsAfter extends JobsBefore {
  serial_key: string;
}

/** Rows copied per insert (14 columns each, well under SQLite's bound-parameter limit). */
const BATCH = 200;

/** Rebuilds `jobs` with a NOT NULL `serial_key`, backfilled, and indexes it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  // The migrator runs SQLite migrations outside a transaction; a rebuild stopped halfway
  // must not leave the jobs table dropped. On PostgreSQL it already runs inside one.
  await inTransaction(db, async (untyped) => {
    const trx = untyped.withTables<{ jobs: JobsBefore; jobs_next: JobsAfter }>();
    await trx.schema.createTable("jobs_next")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("target_id", "text", (c) => c.notNull())
      .addColumn("serial_key", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull().defaultTo("queued"))
      .addColumn("current_step", "text")
      .addColumn("progress", "text", (c) => c.notNull().defaultTo("{}"))
      .addColumn("error", "text")
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("params", "text", (c) => c.notNull().defaultTo("{}"))
      .addColumn("lease_owner", "text")
      .addColumn("lease_expires_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("started_at", "text")
      .addColumn("finished_at", "text")
      .execute();
    const rows = await trx.selectFrom("jobs").selectAll().execute();
    for (let start = 0; start < rows.length; start += BATCH) {
      await trx.insertInto("jobs_next")
        .values(
          rows.slice(start, start + BATCH).map((row) => ({
            ...row,
            serial_key: backfilledKey(row),
          })),
        )
        .execute();
    }
    await trx.schema.dropTable("jobs").execute();
    await trx.schema.alterTable("jobs_next").renameTo("jobs").execute();
    await trx.schema.createIndex("jobs_status_created")
      .on("jobs").columns(["status", "created_at"]).execute();
    await trx.schema.createIndex("jobs_target")
      .on("jobs").columns(["target_id", "created_at"]).execute();
    // "Is anything queued or running on this key?" (every write to a manifest asks).
    await trx.schema.createIndex("jobs_status_serial_key")
      .on("jobs").columns(["status", "serial_key"]).execute();
    // "The newest job on this key" (every progress poll and WebSocket snapshot asks).
    await trx.schema.createIndex("jobs_serial_key_created")
      .on("jobs").columns(["serial_key", "created_at"]).execute();
  });
}

/** Drops `serial_key` and its indexes. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("jobs_serial_key_created").execute();
  await db.schema.dropIndex("jobs_status_serial_key").execute();
  await db.schema.alterTable("jobs").dropColumn("serial_key").execute();
}

/** How the service serialised a job before the column existed. */
function backfilledKey(row: JobsBefore): string {
  let params: unknown;
  try {
    params = JSON.parse(row.params);
  } catch {
    return row.target_id;
  }
  if (
    typeof params === "object" && params !== null && "manifest_id" in params &&
    typeof params.manifest_id === "string"
  ) {
    return params.manifest_id;
  }
  return row.target_id;
}
