/**
 * Opens the service's database and brings its schema up to date.
 *
 * @module
 */
import { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { migrationProvider } from "./migrations/index.ts";
import { NodeSqliteDialect } from "./sqlite/dialect.ts";
import type { Database } from "./tables.ts";

/** The typed query builder every layer above the database uses. */
export type Db = Kysely<Database>;

/** Opens (creating if needed) the SQLite database at `path`; `:memory:` works for tests. */
export function openDatabase(path: string): Db {
  return new Kysely<Database>({ dialect: new NodeSqliteDialect({ path }) });
}

/**
 * Applies every pending migration. Safe to run on every start: applied migrations are
 * recorded and skipped.
 *
 * @returns the names of the migrations applied now.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`Database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
