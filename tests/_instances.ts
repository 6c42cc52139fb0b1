/**
 * Service processes for tests and benchmarks of several instances: `deno run main.ts` in a
 * child process on a free port of 127.0.0.1, with the environment the caller gives (its
 * `DATABASE_URL`, `S3_*`, `DATA_DIR`), ready once `/readyz` answers 200.
 *
 * @module
 */
import { httpClient, type TestServer } from "./_harness.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A free TCP port on 127.0.0.1 (free now; taken by whoever binds it first). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A service process. */
export interface Instance {
  readonly name: string;
  /** Its base URL and HTTP helpers. */
  readonly server: Pick<TestServer, "url" | "fetch" | "json">;
  /** Its id in `/readyz`: the `lease_owner` of the jobs it runs. */
  readonly id: string;
  /** What `/readyz` answered once it was ready. */
  // deno-lint-ignore no-explicit-any
  readonly ready: any;
  readonly child: Deno.ChildProcess;
  /** What it wrote to stderr so far. */
  log(): string;
  /** Signals it (SIGTERM unless told) and waits for its end; once only. */
  kill(signal?: Deno.Signal): Promise<void>;
}

/**
 * Starts `main.ts` with `env` on top of `PORT`, `WORKERS=1` and `LOG_LEVEL=warn`, and waits
 * until `/readyz` answers 200 (at most 90 s: models load and the database migrates first).
 */
export async function spawnInstance(
  name: string,
  env: Record<string, string>,
): Promise<Instance> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN],
    env: { PORT: String(port), WORKERS: "1", LOG_LEVEL: "warn", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const url = `http://127.0.0.1:${port}`;
  const server = { url, ...httpClient(url) };
  let killed = false;
  // Read in the wait loop below: a service that refuses to start is reported at once.
  const end: { status: Deno.CommandStatus | null } = { status: null };
  child.status.then((status) => end.status = status);
  const kill = async (signal: Deno.Signal = "SIGTERM") => {
    if (!killed) {
      killed = true;
      child.kill(signal);
    }
    await child.status;
    await reading;
  };
  for (let i = 0;; i++) {
    const ready = await server.json("GET", "/readyz").catch(() => null);
    if (ready?.status === 200) {
      return {
        name,
        server,
        id: ready.body.instance,
        ready: ready.body,
        child,
        log: () => text,
        kill,
      };
    }
    if (end.status || i > 900) {
      await kill();
      const why = end.status ? `exited with ${end.status.code}` : "did not start within 90 s";
      throw new Error(`Instance ${name} ${why}: ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How a `main.ts` run that was expected to stop at once ended. */
export interface StartOutcome {
  readonly code: number;
  readonly stderr: string;
}

/**
 * Runs `main.ts` from the repository's root with the start task's permissions (write access
 * to `allowWrite` only, default `./models` and `DATA_DIR`) until it exits, on a free port:
 * for tests of configurations the service must refuse at start.
 */
export async function runUntilExit(
  env: Record<string, string>,
  allowWrite: readonly string[] = ["./models", ...(env.DATA_DIR ? [env.DATA_DIR] : [])],
): Promise<StartOutcome> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `--allow-write=${allowWrite.join(",")}`,
      MAIN,
    ],
    cwd: ROOT,
    env: { PORT: String(freePort()), ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}
