/**
 * Everything that differs between SQLite and PostgreSQL, in one place: opening the
 * database the configuration names, the column types migrations need, and the few
 * statements the two dialects spell differently (row locks, advisory locks, NOTIFY, the
 * database clock). Code above this folder writes one query and calls these helpers where
 * the dialects part; it never asks which dialect it runs on.
 *
 * @module
 */
import {
  Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
  type TransactionBuilder,
} from "kysely";
import { NodeSqliteDialect } from "./sqlite/dialect.ts";
import { clientConfig, describeUrl, LOCK_CLASS, openPostgresDialect } from "./postgres/dialect.ts";
import { type Notifications, PostgresListener } from "./postgres/listener.ts";
import type { Database } from "./tables.ts";

export type { Notifications } from "./postgres/listener.ts";
export { describeUrl as describeDatabaseUrl } from "./postgres/dialect.ts";

// `Db` of database.ts, spelled out: that module imports the migrations, which import this one.
type Db = Kysely<Database>;

/** The two databases the service runs on. */
export type DialectKind = "sqlite" | "postgres";

/** Connections in a PostgreSQL pool unless told otherwise. */
export const DEFAULT_POOL_SIZE = 10;
/** How long opening a PostgreSQL connection may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Which dialect `db` speaks. Read through Kysely's public API: PostgreSQL's compiler numbers
 * its placeholders (`$1`), SQLite's does not (`?`).
 */
// deno-lint-ignore no-explicit-any
export function dialectOf(db: Kysely<any>): DialectKind {
  return sql`${0}`.compile(db).sql === "$1" ? "postgres" : "sqlite";
}

/** Where the data lives: PostgreSQL when `url` is set, else the SQLite file. */
export interface DatabaseOptions {
  /** `postgres://…` (`DATABASE_URL`); undefined for SQLite. */
  readonly url?: string;
  /** The SQLite file used when there is no `url`. */
  readonly sqlitePath: string;
  /** PostgreSQL pool size (default {@linkcode DEFAULT_POOL_SIZE}). */
  readonly poolSize?: number;
  /** PostgreSQL connect timeout (default {@linkcode DEFAULT_CONNECT_TIMEOUT_MS}). */
  readonly connectTimeoutMs?: number;
}

/** An open database and what comes with it. */
export interface OpenedDatabase {
  readonly kind: DialectKind;
  readonly db: Db;
  /** Where it is, for logs and `/readyz`: the SQLite path, or the URL without password. */
  readonly label: string;
  /**
   * Notifications between instances sharing the database (PostgreSQL's LISTEN on one
   * dedicated connection); null for SQLite, which one process owns.
   */
  readonly notifications: Notifications | null;
  /** Closes the listener and the pool (or the SQLite file). */
  close(): Promise<void>;
}

/**
 * Opens the database `options` names and checks that it answers. PostgreSQL also gets its
 * listening connection, opened now so that an unreachable server fails here.
 *
 * @throws Error saying why the database could not be reached (the caller names the variable).
 */
export async function connectDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  if (options.url === undefined) {
    const db = new Kysely<Database>({
      dialect: new NodeSqliteDialect({ path: options.sqlitePath }),
    });
    try {
      await sql`select 1`.execute(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
    return {
      kind: "sqlite",
      db,
      label: options.sqlitePath,
      notifications: null,
      close: () => db.destroy(),
    };
  }
  const pgOptions = {
    url: options.url,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  const { dialect } = openPostgresDialect(pgOptions);
  const db = new Kysely<Database>({ dialect });
  const listener = new PostgresListener(clientConfig(pgOptions));
  try {
    await sql`select 1`.execute(db);
    await listener.connect();
  } catch (error) {
    await listener.close();
    await db.destroy();
    throw error;
  }
  return {
    kind: "postgres",
    db,
    label: describeUrl(options.url),
    notifications: listener,
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

/**
 * A transaction that takes its own locks, row by row. On PostgreSQL it runs at READ
 * COMMITTED without the writer lock every other read-write transaction takes (see
 * `postgres/dialect.ts`), so that claims and frames of different subjects go in parallel;
 * on SQLite it is an ordinary (serialised) transaction.
 */
export function rowLockingTransaction(db: Db): TransactionBuilder<Database> {
  return dialectOf(db) === "postgres"
    ? db.transaction().setIsolationLevel("read committed")
    : db.transaction();
}

/** What a {@linkcode lockKey} lock is for (each purpose has its own key space). */
export type LockPurpose = "serialKey" | "topic";

/**
 * Holds a lock on `key` until the transaction `trx` ends: a second transaction locking the
 * same purpose and key waits. On SQLite a write transaction already excludes every other
 * one, so this does nothing there.
 */
export async function lockKey(trx: Db, purpose: LockPurpose, key: string): Promise<void> {
  if (dialectOf(trx) !== "postgres") return;
  await sql`select pg_advisory_xact_lock(${sql.lit(LOCK_CLASS[purpose])}, hashtext(${key}))`
    .execute(trx);
}

/**
 * Like {@linkcode lockKey}, but never waits: false when another transaction holds the lock
 * (then it is not taken). A transaction that takes several such locks cannot deadlock with
 * another doing the same. Always true on SQLite.
 */
export async function tryLockKey(trx: Db, purpose: LockPurpose, key: string): Promise<boolean> {
  if (dialectOf(trx) !== "postgres") return true;
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${
    sql.lit(LOCK_CLASS[purpose])
  }, hashtext(${key})) as locked`.execute(trx);
  return rows[0].locked;
}

/**
 * Tells every instance listening on `channel` (see `OpenedDatabase.notifications`) about
 * `payload`. Inside a transaction it is delivered at commit, and not at all on rollback.
 * Payloads must stay short (PostgreSQL refuses 8000 bytes): send ids, not rows. Nothing to
 * do on SQLite, where one process owns the database.
 */
export async function notify(db: Db, channel: string, payload: string): Promise<void> {
  if (dialectOf(db) !== "postgres") return;
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

/**
 * `query … FOR UPDATE SKIP LOCKED` on PostgreSQL: the rows it returns are locked for the
 * transaction, and rows another transaction holds are passed over instead of waited for.
 * SQLite has no row locks (nor the syntax); its write transactions are serialised anyway.
 */
// deno-lint-ignore no-explicit-any
export function skipLocked<Q extends SelectQueryBuilder<any, any, any>>(db: Db, query: Q): Q {
  return dialectOf(db) === "postgres" ? query.forUpdate().skipLocked() as Q : query;
}

/**
 * The database's clock, `offsetSeconds` from now, in the format of every timestamp column
 * (ISO-8601 UTC with milliseconds and `Z`). Leases use it: one clock for every instance,
 * however far their own clocks drift apart.
 */
export function isoTimestamp(db: Db, offsetSeconds = 0): RawBuilder<string> {
  if (dialectOf(db) === "postgres") {
    return sql<string>`to_char((clock_timestamp() at time zone 'UTC') + make_interval(secs => ${
      sql.lit(offsetSeconds)
    }), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  }
  return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${
    sql.lit(`${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds} seconds`)
  })`;
}

/**
 * What migrations must write differently per dialect. SQLite's `real` is eight bytes but
 * PostgreSQL's is four (0.1 would come back as 0.10000000149…); PostgreSQL has `bytea` for
 * SQLite's `blob`; and SQLite lets a column reference a table created later, which
 * PostgreSQL refuses (the reference is added once both exist).
 */
export function portableSchema(db: Kysely<unknown>): {
  readonly float: "real" | "double precision";
  readonly binary: "blob" | "bytea";
  /** An increasing integer key: `integer … autoincrement`, or `bigserial`. */
  readonly serial: "integer" | "bigserial";
  /** Whether the serial column also needs `.autoIncrement()` (SQLite). */
  readonly serialNeedsAutoIncrement: boolean;
  /** Whether a column may reference a table that does not exist yet (SQLite). */
  readonly forwardReferences: boolean;
} {
  const postgres = dialectOf(db) === "postgres";
  return {
    float: postgres ? "double precision" : "real",
    binary: postgres ? "bytea" : "blob",
    serial: postgres ? "bigserial" : "integer",
    serialNeedsAutoIncrement: !postgres,
    forwardReferences: !postgres,
  };
}

/**
 * Runs `work` in a transaction: its own, or the one `db` already is (PostgreSQL's migrator
 * runs every migration inside a transaction, and Kysely refuses to nest them).
 */
export async function inTransaction<T>(
  db: Kysely<unknown>,
  work: (trx: Kysely<unknown>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return await work(db);
  return await db.transaction().execute(work);
}
