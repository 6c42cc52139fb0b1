/**
 * Liveness, readiness and the API description; outside `/api` and without auth so probes
 * and tools can reach them.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../db/database.ts";
import type { DialectKind } from "../../db/dialect.ts";
import type { EnginePool } from "../../engine/engine_pool.ts";
import { log } from "../../log.ts";
import type { BlobStore } from "../../storage/blob_store.ts";
import { json, type RouteGroup, routeGroup } from "../openapi.ts";
import { Health, Readiness } from "../schemas.ts";

/** What the service routes report on. */
export interface ServiceDeps {
  readonly db: Db;
  /** Which database it is, and this instance's id. */
  readonly database: DatabaseInfo;
  readonly pool: EnginePool;
  /** Where blobs are kept; asked whether it answers on every readiness probe. */
  readonly blobs: Pick<BlobStore, "kind" | "check">;
  readonly reversePromptProvider: "gemini" | "local";
  /** Who writes storyboards; null when no LLM is configured (generation answers 503). */
  readonly storyboardWriter: "gemini" | null;
  /** The OpenAPI document of the whole app, which only the app that mounts these knows. */
  readonly openApiDocument: () => Record<string, unknown>;
}

/** What `/readyz` says about the database and the process. */
export interface DatabaseInfo {
  readonly kind: DialectKind;
  /** This instance's id (its runner's lease owner). */
  readonly instance: string;
}

const health = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["service"],
  summary: "Liveness",
  security: [],
  responses: { 200: json(Health, "The process answers") },
});

const readiness = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  tags: ["service"],
  summary: "Readiness: database, blob store, workers, models, reverse-prompt provider",
  security: [],
  responses: {
    200: json(Readiness, "Ready to process"),
    503: json(Readiness, "Not ready: the body says what is missing"),
  },
});

const openapi = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["service"],
  summary: "This document",
  security: [],
  responses: {
    200: {
      description: "The OpenAPI 3.1 document of this API",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

/** `/healthz`, `/readyz`, `/openapi.json`. */
export function serviceRoutes(deps: ServiceDeps): RouteGroup {
  const app = routeGroup();

  app.openapi(health, (c) => c.json({ status: "ok" as const }, 200));

  app.openapi(readiness, async (c) => {
    const database = await sql`select 1 as ok`.execute(deps.db).then(
      () => "ok" as const,
      () => "error" as const,
    );
    const blobStore = await deps.blobs.check().then(
      () => "ok" as const,
      (error) => {
        // The reason names buckets and keys: the log has it, the unauthenticated probe not.
        log.warn("The blob store is not usable.", { kind: deps.blobs.kind, error });
        return "error" as const;
      },
    );
    const workers = deps.pool.stats();
    const ready = database === "ok" && blobStore === "ok" && workers.engines.length > 0;
    return c.json({
      status: ready ? "ready" as const : "not_ready" as const,
      database,
      blob_store: { kind: deps.blobs.kind, status: blobStore },
      database_kind: deps.database.kind,
      instance: deps.database.instance,
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

  app.openapi(openapi, (c) => c.json(deps.openApiDocument(), 200));

  return app;
}
