/**
 * Kysely's built-in `PostgresDialect` over a `pg.Pool`, set up so that rows read from
 * PostgreSQL are the same JavaScript values as rows read from SQLite, and so that the
 * product's transactions keep the one guarantee they were written against.
 *
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  PostgresDriver,
  type TransactionSettings,
} from "kysely";

/** Object ids of the PostgreSQL types whose default `pg` parsing differs from SQLite's values. */
const OID = Object.freeze({ int8: 20, bytea: 17 });

/**
 * Advisory lock classes (the first key of `pg_advisory_xact_lock(int, int)`), so the locks
 * of different purposes never collide. Kysely's migration lock uses the one-key form, a
 * separate key space.
 */
export const LOCK_CLASS = Object.freeze({
  /** The writer lock every plain read-write transaction takes (second key 0). */
  writer: 7301,
  /** Claiming a job of one `serial_key` (second key: hash of the key). */
  serialKey: 7302,
  /** Appending a frame to one topic (second key: hash of the topic). */
  topic: 7303,
});

/** Parsers that make `pg` return what `node:sqlite` returns for the same columns. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser(oid: number, format?: string) {
    // bigint (events.seq) and count(*): numbers, as SQLite gives; pg's default is a string.
    // Counts and sequence values of this service stay far below 2^53.
    if (oid === OID.int8) return (value: string) => Number(value);
    if (oid === OID.bytea) {
      const buffer = pg.types.getTypeParser(oid, "text");
      // A plain Uint8Array with its own buffer (pg's Buffer may sit at an unaligned offset of
      // a shared pool, which a Float32Array view of an embedding cannot start at).
      return (value: string) => new Uint8Array(buffer(value) as Uint8Array);
    }
    // deno-lint-ignore no-explicit-any
    return pg.types.getTypeParser(oid, format as any);
  },
} as pg.CustomTypesConfig;

/** How {@linkcode openPostgresDialect} connects. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style URL `pg` accepts). */
  readonly url: string;
  /** Connections in the pool. */
  readonly poolSize: number;
  /** How long opening one connection may take before it fails. */
  readonly connectTimeoutMs: number;
}

/** The `pg` connection settings for `options` (also used for the LISTEN connection). */
export function clientConfig(options: PostgresOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    types: TYPES,
    // Named in pg_stat_activity, so an operator can tell the service's sessions apart.
    application_name: "manifest-studio",
  };
}

/**
 * The dialect plus its pool (the caller may end the pool; Kysely's `destroy` does).
 * Idle connections that the server drops are discarded by the pool, not fatal.
 */
export function openPostgresDialect(options: PostgresOptions): {
  dialect: PostgresDialect;
  pool: pg.Pool;
} {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.poolSize });
  // An idle client whose server went away emits `error` on the pool; without a listener
  // that would crash the process. The next query opens a fresh connection.
  pool.on("error", () => {});
  return { dialect: new WriterLockDialect({ pool }), pool };
}

/**
 * `PostgresDialect` whose plain read-write transactions take one advisory lock first: the
 * PostgreSQL counterpart of SQLite's `BEGIN IMMEDIATE`, so "read, check, then write"
 * transactions (is this manifest processing? which tag number is next?) stay correct with
 * several instances. A transaction that asks for READ COMMITTED explicitly manages its own
 * row locks (claiming jobs with SKIP LOCKED, appending frames under a per-topic lock) and
 * runs without it; read-only transactions never take it.
 */
class WriterLockDialect extends PostgresDialect {
  readonly #config: ConstructorParameters<typeof PostgresDialect>[0];

  constructor(config: ConstructorParameters<typeof PostgresDialect>[0]) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new WriterLockDriver(this.#config);
  }
}

class WriterLockDriver extends PostgresDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    if (settings.accessMode === "read only" || settings.isolationLevel !== undefined) return;
    await connection.executeQuery(
      CompiledQuery.raw(`select pg_advisory_xact_lock(${LOCK_CLASS.writer}, 0)`),
    );
  }
}

/** The URL with its password masked, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unreadable URL)";
  }
}
