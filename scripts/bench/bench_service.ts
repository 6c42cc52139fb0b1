/**
 * The real service as the bench sections run it: on 127.0.0.1, a free port, a fresh
 * `DATA_DIR` under `.cache/bench/`, quiet logs, removed again afterwards.
 *
 * @module
 */
import { loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { benchDataDir } from "./data_dir.ts";

/** How the service is started. */
export interface BenchServiceOptions {
  /** Pool size (the service's default when unset). */
  readonly workers?: number;
  /** More environment, e.g. `REVERSE_PROMPT_PROVIDER`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `use` against a service started for it; stops it and removes its data afterwards. */
export async function withBenchService<T>(
  prefix: string,
  options: BenchServiceOptions,
  use: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const dataDir = await benchDataDir(prefix);
  try {
    const server = await startServer(loadConfig({
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
      ...options.env,
      ...(options.workers && { WORKERS: String(options.workers) }),
    }));
    try {
      return await use(server);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}
