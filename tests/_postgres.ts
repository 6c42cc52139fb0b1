/**
 * A throwaway PostgreSQL cluster for tests: `initdb` and `pg_ctl` from Debian's
 * `postgresql` package (`.ci/run` installs it), a data directory under /tmp with fsync off,
 * listening on 127.0.0.1 at a free port. One cluster per test file (started on first use,
 * stopped when the file's process unloads); every caller gets its own fresh database.
 *
 * As root (CI), the cluster runs as user `postgres` through `runuser`: `initdb` refuses root.
 *
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
import { migrateToLatest } from "../src/db/database.ts";
import { connectDatabase, type OpenedDatabase } from "../src/db/dialect.ts";

/** The database backends the storage, job and fan-out tests run against. */
export const BACKENDS = ["sqlite", "postgres"] as const;
/** One of {@linkcode BACKENDS}. */
export type Backend = typeof BACKENDS[number];

/** A running cluster. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  readonly port: number;
  /** Creates an empty database with a unique name; returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server at once (`-m immediate`): for tests that need it gone. */
  stopNow(): void;
  /** Starts it again on the same port and data (after {@linkcode stopNow}). */
  restart(): Promise<void>;
}

let cluster: Promise<PostgresCluster> | undefined;

/** The cluster of this test file, started on first call. */
export function postgres(): Promise<PostgresCluster> {
  cluster ??= startCluster();
  return cluster;
}

/** A fresh, empty database on this file's cluster. */
export async function freshPostgresUrl(): Promise<string> {
  return await (await postgres()).createDatabase();
}

/** The directory holding `initdb` and `pg_ctl` (the newest installed major version). */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  let versions: number[] = [];
  try {
    versions = [...Deno.readDirSync(root)].map((entry) => Number(entry.name))
      .filter((n) => Number.isInteger(n)).sort((a, b) => b - a);
  } catch {
    // Missing: reported below.
  }
  for (const version of versions) {
    const bin = `${root}/${version}/bin`;
    try {
      Deno.statSync(`${bin}/initdb`);
      return bin;
    } catch {
      continue;
    }
  }
  throw new Error(
    "PostgreSQL's initdb is not installed (looked in /usr/lib/postgresql/*/bin): run " +
      "`apt-get install -y --no-install-recommends postgresql` (.ci/run does) to run these tests.",
  );
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const asRoot = Deno.uid() === 0;

/** `command args…`, as user postgres when this process is root. */
function asPostgres(command: string, args: string[]): Deno.Command {
  return asRoot
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", command, ...args] })
    : new Deno.Command(command, { args });
}

function check(output: Deno.CommandOutput, what: string): void {
  if (output.success) return;
  const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  throw new Error(`${what} failed (exit ${output.code}): ${text.trim()}`);
}

async function startCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "manifest-studio-pg-" });
  if (asRoot) check(await new Deno.Command("chown", { args: ["postgres", dir] }).output(), "chown");
  const data = `${dir}/data`;
  check(
    await asPostgres(`${bin}/initdb`, [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ]).output(),
    "initdb",
  );
  const port = freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  const start = async () =>
    check(
      await asPostgres(`${bin}/pg_ctl`, [
        "-D",
        data,
        "-l",
        `${dir}/log`,
        "-w",
        "start",
        "-o",
        options,
      ])
        .output(),
      "pg_ctl start",
    );
  await start();
  const stopSync = () => {
    asPostgres(`${bin}/pg_ctl`, ["-D", data, "-m", "immediate", "stop"]).outputSync();
  };
  // unload listeners cannot await: stop synchronously as the test file's process ends.
  globalThis.addEventListener("unload", () => {
    try {
      stopSync();
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
  // A process that fails, is killed or times out ends without `unload`: a detached watchdog
  // stops the cluster once this process is gone, so no server outlives its test run.
  const stop = asRoot
    ? `runuser -u postgres -- ${bin}/pg_ctl -D ${data} -m immediate stop`
    : `${bin}/pg_ctl -D ${data} -m immediate stop`;
  const watchdog =
    `while kill -0 ${Deno.pid} 2>/dev/null; do sleep 1; done; ${stop}; rm -rf ${dir}`;
  check(
    // setsid: its own session, so that a signal to this process group spares it.
    await new Deno.Command("sh", {
      args: ["-c", `setsid -f sh -c '${watchdog}' >/dev/null 2>&1 </dev/null`],
      stdout: "null",
      stderr: "null",
    }).output(),
    "starting the cluster's watchdog",
  );
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let counter = 0;
  return {
    url,
    port,
    async createDatabase() {
      const name = `test_${Date.now().toString(36)}_${counter++}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stopNow: stopSync,
    restart: start,
  };
}

/**
 * A migrated, empty database of `backend`: an in-memory SQLite database, or a fresh
 * database on this file's PostgreSQL cluster. Close it when done.
 */
export async function openTestDatabase(backend: Backend): Promise<OpenedDatabase> {
  const opened = backend === "sqlite"
    ? await connectDatabase({ sqlitePath: ":memory:" })
    : await connectDatabase({ url: await freshPostgresUrl(), sqlitePath: "" });
  try {
    await migrateToLatest(opened.db);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}
