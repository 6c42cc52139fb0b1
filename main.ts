/**
 * Manifest Studio: `deno task start` runs this. Configuration comes from environment
 * variables (see README); with none it serves on http://127.0.0.1:8000 from ./data.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./src/config.ts";
import { log } from "./src/log.ts";
import { startServer } from "./src/server.ts";

if (import.meta.main) {
  try {
    const server = await startServer(loadConfig());
    const stop = async (signal: string) => {
      log.info("Shutting down.", { signal });
      await server.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));
    Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot start: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
