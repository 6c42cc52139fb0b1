/**
 * Jobs carry their parameters as JSON, e.g. the manifest status to return to when a job is
 * cancelled.
 *
 * @module
 */
import type { Kysely } from "kysely";

/** Adds `jobs.params`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("jobs")
    .addColumn("params", "text", (c) => c.notNull().defaultTo("{}"))
    .execute();
}

/** Removes `jobs.params`. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("jobs").dropColumn("params").execute();
}
