/**
 * Kysely dialect over Deno's built-in `node:sqlite` (`DatabaseSync`).
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  AbortedTransactionError,
  CompiledQuery,
  createQueryId,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  IdentifierNode,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  RawNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from "kysely";

/** Busy timeout used when none is configured: long enough to ride out another process's commit. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Options shared by {@link openSqliteDatabase} and {@link NodeSqliteDialectConfig}. */
export interface SqliteOpenOptions {
  /** How long a statement waits for another connection's lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Open the file read-only; writes then fail with "attempt to write a readonly database". */
  readonly readonly?: boolean;
}

/** Configuration for {@link NodeSqliteDialect}; frozen on construction. */
export interface NodeSqliteDialectConfig extends SqliteOpenOptions {
  /** Database file path, or `:memory:`. The parent directory must already exist. */
  readonly path: string;
}

/**
 * Opens a `DatabaseSync` with the project's connection pragmas (WAL, foreign keys, busy timeout,
 * synchronous=NORMAL), so code outside Kysely gets the same locking behaviour.
 */
export function openSqliteDatabase(path: string, opts: SqliteOpenOptions = {}): DatabaseSync {
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(
      `Busy timeout must be a whole number of milliseconds, got ${busyTimeoutMs}.`,
    );
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: opts.readonly ?? false });
  } catch (cause) {
    throw new Error(
      `Cannot open SQLite database "${path}": ${(cause as Error).message}. ` +
        "Check that the parent directory exists and is writable.",
      { cause },
    );
  }
  try {
    // Set first so that switching to WAL waits for, rather than fails on, a concurrent opener.
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    // A read-only connection cannot change the journal mode; it follows whatever the writer set.
    if (!opts.readonly) db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA foreign_keys = ON");
    // In WAL mode a crash can lose the last commits but never corrupts; saves an fsync per commit.
    db.exec("PRAGMA synchronous = NORMAL");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Converts a Kysely parameter into something `node:sqlite` binds faithfully. This matters beyond
 * convenience: node:sqlite treats a leading plain object (or ArrayBuffer) as a map of named
 * parameters, which silently shifts every positional value, and it binds ArrayBuffer as NULL.
 */
export function toSqliteValue(value: unknown, index: number): SQLInputValue {
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
      return null;
  }
  if (value === null || ArrayBuffer.isView(value)) return value as SQLInputValue;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  const kind = value instanceof Date ? "a Date" : Array.isArray(value) ? "an array" : typeof value;
  throw new TypeError(
    `Cannot bind ${kind} to SQLite parameter ${index + 1}; convert it to a string, number, ` +
      "bigint or Uint8Array first (e.g. JSON.stringify or Date.prototype.toISOString).",
  );
}

/**
 * How long statements may run back to back before the connection lets the event loop turn.
 * `node:sqlite` is synchronous, and a chain of awaited statements resolves in microtasks
 * only, so without this a loop of a few thousand small writes would hold the request thread
 * (HTTP, WebSockets, timers) for its whole length.
 */
export const YIELD_EVERY_MS = 20;

/** Lets timers and I/O run once statements have had the thread for {@linkcode YIELD_EVERY_MS}. */
class EventLoopShare {
  #since = performance.now();

  /** Whether the statements have had the thread for their share. */
  get due(): boolean {
    return performance.now() - this.#since >= YIELD_EVERY_MS;
  }

  async turn(): Promise<void> {
    if (!this.due) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#since = performance.now();
  }
}

/** Rows read between two looks at the clock while a long result is read. */
const ROWS_BETWEEN_CLOCK_READS = 64;

/** Prepared statements kept per connection: the service runs the same few hundred queries. */
const STATEMENT_CACHE_SIZE = 256;

class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #share = new EventLoopShare();
  readonly #statements = new Map<string, StatementSync>();
  #queue: Promise<void> = Promise.resolve();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The prepared statement of `sql`, compiled once and reused (most recently used last). */
  #prepare(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (stmt) {
      this.#statements.delete(sql);
    } else {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  /**
   * Runs one statement at a time, even when a transaction's callers overlap theirs: a long
   * read lets the event loop turn midway, and a cached statement must not be restarted by
   * another caller while its rows are still being read.
   */
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.#queue.then(() => this.#execute<R>(query));
    this.#queue = result.then(() => {}, () => {});
    return result;
  }

  async #execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    await this.#share.turn();
    const stmt = this.#prepare(query.sql);
    const params = query.parameters.map(toSqliteValue);
    // node:sqlite has no `reader` flag; a statement that yields columns (incl. RETURNING) reads.
    if (stmt.columns().length > 0) {
      // Row by row, letting the event loop turn on the way: reading a few thousand wide rows
      // at once would hold the thread for tens of ms. The connection stays this caller's until
      // the last row, and a write's RETURNING rows are all produced by its first step.
      const rows: R[] = [];
      for (const row of stmt.iterate(...params)) {
        rows.push(plain<R>(row));
        if (rows.length % ROWS_BETWEEN_CLOCK_READS === 0 && this.#share.due) {
          await this.#share.turn();
        }
      }
      return { rows };
    }
    const { changes, lastInsertRowid } = stmt.run(...params);
    return {
      insertId: BigInt(lastInsertRowid),
      numAffectedRows: BigInt(changes),
      rows: [],
    };
  }

  async *streamQuery<R>(
    query: CompiledQuery,
    chunkSize = 100,
  ): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.#prepare(query.sql);
    let rows: R[] = [];
    for (const row of stmt.iterate(...query.parameters.map(toSqliteValue))) {
      rows.push(plain<R>(row));
      if (rows.length >= chunkSize) {
        yield { rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { rows };
  }
}

// node:sqlite rows have a null prototype, which trips deepStrictEqual and `row.hasOwnProperty`.
// Giving each row the plain prototype in place costs ~1 µs; copying its fields into a new
// object cost ~30 µs per wide row — 140 ms of request thread for a 5000-asset manifest.
function plain<R>(row: unknown): R {
  return Object.setPrototypeOf(row as object, Object.prototype) as R;
}

type Compile = QueryCompiler["compileQuery"];

/**
 * Driver holding one `DatabaseSync` connection. Kysely 0.29 already serialises callers for
 * adapters without multiple connections; the driver's own lock keeps it safe if used without that.
 */
export class NodeSqliteDriver implements Driver {
  readonly #config: NodeSqliteDialectConfig;
  #db?: DatabaseSync;
  #connection?: NodeSqliteConnection;
  #busy = false;
  #waiters: (() => void)[] = [];
  #queryOnly = false;

  /** Creates a driver; the database is opened lazily in {@link init}. */
  constructor(config: NodeSqliteDialectConfig) {
    this.#config = config;
  }

  /** Opens the database with {@link openSqliteDatabase}. */
  init(): Promise<void> {
    this.#db = openSqliteDatabase(this.#config.path, this.#config);
    this.#connection = new NodeSqliteConnection(this.#db);
    return Promise.resolve();
  }

  /** Waits until no other caller holds the single connection, then hands it out. */
  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#busy = true;
    if (!this.#connection) throw new Error("SQLite driver is not initialised; call init() first.");
    return this.#connection;
  }

  /**
   * Starts with BEGIN IMMEDIATE so the write lock is taken (and busy_timeout applies) up front;
   * a deferred transaction that reads then writes gets an unretryable SQLITE_BUSY instead.
   */
  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const { isolationLevel, accessMode } = settings;
    if (isolationLevel && isolationLevel !== "serializable") {
      throw new Error(
        "SQLite transactions are always serializable; " +
          `remove setIsolationLevel("${isolationLevel}").`,
      );
    }
    if (accessMode !== "read only") return exec(conn, "BEGIN IMMEDIATE");
    // Read-only work need not queue for the write lock; query_only turns a stray write into an
    // error rather than the unretryable SQLITE_BUSY a deferred transaction gets when it upgrades.
    await exec(conn, "PRAGMA query_only = 1");
    this.#queryOnly = true;
    await exec(conn, "BEGIN DEFERRED");
  }

  /** Commits, or throws AbortedTransactionError if SQLite already rolled back on its own. */
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    try {
      if (!this.#db?.isTransaction) throw new AbortedTransactionError();
      await exec(conn, "COMMIT");
    } finally {
      await this.#endQueryOnly(conn);
    }
  }

  /** Rolls back; a no-op if SQLite already did, so the original error is not masked. */
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    try {
      if (this.#db?.isTransaction) await exec(conn, "ROLLBACK");
    } finally {
      await this.#endQueryOnly(conn);
    }
  }

  /** Creates a savepoint inside the current transaction. */
  async savepoint(conn: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    await conn.executeQuery(compile(savepointCommand("SAVEPOINT", name), createQueryId()));
  }

  /** Rolls back to a savepoint, keeping the enclosing transaction open. */
  async rollbackToSavepoint(conn: DatabaseConnection, name: string, compile: Compile) {
    await conn.executeQuery(compile(savepointCommand("ROLLBACK TO", name), createQueryId()));
  }

  /** Releases (merges) a savepoint into the enclosing transaction. */
  async releaseSavepoint(conn: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    await conn.executeQuery(compile(savepointCommand("RELEASE", name), createQueryId()));
  }

  /** Lets the next waiting caller have the connection. */
  releaseConnection(): Promise<void> {
    // Hand over directly (FIFO) so a caller arriving now cannot overtake one already waiting.
    const next = this.#waiters.shift();
    if (next) next();
    else this.#busy = false;
    return Promise.resolve();
  }

  /** Closes the database; SQLite then checkpoints and removes the -wal and -shm files. */
  destroy(): Promise<void> {
    if (this.#db?.isOpen) this.#db.close();
    return Promise.resolve();
  }

  async #endQueryOnly(conn: DatabaseConnection): Promise<void> {
    if (!this.#queryOnly) return;
    this.#queryOnly = false;
    await exec(conn, "PRAGMA query_only = 0");
  }
}

// Goes through the connection (not the DatabaseSync) so Kysely's query logging sees it.
async function exec(conn: DatabaseConnection, statement: string): Promise<void> {
  await conn.executeQuery(CompiledQuery.raw(statement));
}

function savepointCommand(command: string, name: string): RawNode {
  // IdentifierNode makes the compiler quote the name, as Kysely's built-in drivers do.
  return RawNode.createWithChildren([
    RawNode.createWithSql(`${command} `),
    IdentifierNode.create(name),
  ]);
}

/** Kysely dialect for `node:sqlite`, reusing Kysely's SQLite compiler, adapter and introspector. */
export class NodeSqliteDialect implements Dialect {
  /** The frozen configuration this dialect was created with. */
  readonly config: NodeSqliteDialectConfig;

  /** Copies and freezes `config`, so later mutation by the caller has no effect. */
  constructor(config: NodeSqliteDialectConfig) {
    this.config = Object.freeze({ ...config });
  }

  /** Creates a driver that opens its own connection on first use. */
  createDriver(): Driver {
    return new NodeSqliteDriver(this.config);
  }

  /** Creates Kysely's SQLite query compiler. */
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  /** Creates Kysely's SQLite adapter (single connection, RETURNING supported). */
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  /** Creates Kysely's SQLite introspector. */
  // deno-lint-ignore no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
