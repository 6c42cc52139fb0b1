/**
 * Liveness, readiness and the API description; outside `/api` and without auth so probes
 * and tools can reach them.
 *
 * @module
 */
import { Hono } from "hono";
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { EnginePool } from "../../engine/engine_pool.ts";
import { buildOpenApi } from "../openapi.ts";

/** What the service routes report on. */
export interface ServiceDeps {
  readonly db: Db;
  readonly pool: EnginePool;
  readonly authRequired: boolean;
  readonly reversePromptProvider: "gemini" | "local";
  /** Who writes storyboards; null when no LLM is configured (generation answers 503). */
  readonly storyboardWriter: "gemini" | null;
}

/** `/healthz`, `/readyz`, `/openapi.json`. */
export function serviceRoutes(deps: ServiceDeps): Hono {
  const app = new Hono();
  let openapi: Record<string, unknown> | null = null;

  app.get("/healthz", (c) => c.json({ status: "ok" as const }));

  app.get("/readyz", async (c) => {
    const database = await sql`select 1 as ok`.execute(deps.db).then(
      () => "ok" as const,
      () => "error" as const,
    );
    const workers = deps.pool.stats();
    const ready = database === "ok" && workers.engines.length > 0;
    return c.json({
      status: ready ? "ready" as const : "not_ready" as const,
      database,
      workers: {
        size: workers.size,
        busy: workers.busy,
        queued: workers.queued,
        engines: [...workers.engines],
      },
      models: workers.engines.filter((engine) => engine !== "magick"),
      reverse_prompt_provider: deps.reversePromptProvider,
      storyboard_writer: deps.storyboardWriter,
    }, ready ? 200 : 503);
  });

  app.get(
    "/openapi.json",
    (c) => c.json(openapi ??= buildOpenApi({ authRequired: deps.authRequired })),
  );

  return app;
}
