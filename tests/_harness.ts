/**
 * Test harness: a real service on 127.0.0.1 with a random port and its own temporary
 * `DATA_DIR`, plus helpers to look at what it left on disk.
 *
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../src/config.ts";
import { databasePath, type RunningServer, startServer } from "../src/server.ts";
import { freshPostgresUrl } from "./_postgres.ts";

/** A running service for one test. */
export interface TestServer extends RunningServer {
  readonly dataDir: string;
  /** The PostgreSQL database it runs on, if any (else SQLite under `dataDir`). */
  readonly databaseUrl?: string;
  /** `fetch` relative to the server's URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends JSON and returns status and parsed body. */
  json(method: string, path: string, body?: unknown, headers?: HeadersInit): Promise<JsonReply>;
  /** Rows in a table, read through a separate connection. */
  countRows(table: string): number;
  /** Every file under `DATA_DIR/blobs` and `DATA_DIR/thumbs`. */
  listBlobs(): Promise<string[]>;
  /** Stops the server; deletes `DATA_DIR` unless `keepData` was set. */
  close(): Promise<void>;
}

/** Status and JSON body of a reply. */
export interface JsonReply {
  readonly status: number;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
  readonly headers: Headers;
}

/**
 * Starts a service with `env` on top of quiet test defaults. With `TEST_DATABASE=postgres`
 * in the environment, a service given no `DATABASE_URL` gets a fresh PostgreSQL database
 * (a way to run any of these tests against PostgreSQL; CI runs them on SQLite).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { dataDir?: string; keepData?: boolean } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "manifest-studio-test-" });
  const databaseUrl = env.DATABASE_URL ??
    (Deno.env.get("TEST_DATABASE") === "postgres" ? await postgresUrlFor(dataDir) : undefined);
  const server = await startServer(loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    WORKERS: "1",
    LOG_LEVEL: "error",
    ...env,
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
  }));
  const client = httpClient(server.url);
  return {
    ...server,
    dataDir,
    databaseUrl,
    ...client,
    countRows(table) {
      if (databaseUrl) {
        // Synchronous like the SQLite branch: psql comes with PostgreSQL.
        const output = new Deno.Command("psql", {
          args: [databaseUrl, "-tAc", `select count(*) from ${table}`],
        }).outputSync();
        return Number(new TextDecoder().decode(output.stdout).trim());
      }
      const db = new DatabaseSync(databasePath(dataDir), { readOnly: true });
      try {
        const row = db.prepare(`select count(*) as n from ${table}`).get() as { n: number };
        return row.n;
      } finally {
        db.close();
      }
    },
    async listBlobs() {
      const files: string[] = [];
      for (const top of ["blobs", "thumbs"]) await walk(join(dataDir, top), files);
      return files.sort();
    },
    async close() {
      await server.close();
      if (!options.keepData) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * The PostgreSQL database of the test server on `dataDir`: one per data directory, so a
 * test that restarts a server on the same `DATA_DIR` finds its data again.
 */
const postgresByDataDir = new Map<string, Promise<string>>();
function postgresUrlFor(dataDir: string): Promise<string> {
  let url = postgresByDataDir.get(dataDir);
  if (!url) postgresByDataDir.set(dataDir, url = freshPostgresUrl());
  return url;
}

/** Appends every file under `dir` (none when it does not exist) to `out`. */
export async function walk(dir: string, out: string[]): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path, out);
      else out.push(path);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** `fetch` and `json` against a base URL (a test server, or a service in a child process). */
export function httpClient(baseUrl: string): Pick<TestServer, "fetch" | "json"> {
  const fetchPath = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);
  return {
    fetch: fetchPath,
    async json(method, path, body, headers) {
      const response = await fetchPath(path, {
        method,
        headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : null,
        headers: response.headers,
      };
    },
  };
}

/** Builds a multipart body of `file` parts (and optional extra text fields). */
export function multipart(
  files: readonly { name: string; bytes: Uint8Array; type?: string }[],
  fields: readonly [string, string][] = [],
): FormData {
  const form = new FormData();
  for (const file of files) {
    form.append(
      "file",
      new File([file.bytes as Uint8Array<ArrayBuffer>], file.name, {
        type: file.type ?? "image/jpeg",
      }),
    );
  }
  for (const [key, value] of fields) form.append(key, value);
  return form;
}
