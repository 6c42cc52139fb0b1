/**
 * Builds the HTTP application from its parts. `main.ts` serves it; tests call
 * `app.request()` on it or serve it on a random port.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { serveStatic } from "hono/deno";
import type { Config } from "./config.ts";
import type { Db } from "./db/database.ts";
import { AppError } from "./errors.ts";
import { errorResponse, handleError, handleNotFound } from "./api/http_errors.ts";
import { bearerAuth } from "./api/middleware/auth.ts";
import { documentedApp, openApiDocument, type RouteGroup, routeGroup } from "./api/openapi.ts";
import { hostCheck } from "./api/middleware/host_check/index.ts";
import { originCheck } from "./api/middleware/origin_check/index.ts";
import { securityHeaders } from "./api/middleware/security_headers/index.ts";
import { assetRoutes } from "./api/routes/assets.ts";
import { manifestRoutes } from "./api/routes/manifests.ts";
import { bundleRoutes } from "./api/routes/bundles.ts";
import { bundleLimits } from "./bundles/limits.ts";
import { type DatabaseInfo, serviceRoutes } from "./api/routes/service.ts";
import { identityRoutes } from "./api/routes/identities.ts";
import { processingRoutes } from "./api/routes/processing.ts";
import { projectRoutes } from "./api/routes/projects.ts";
import type { WebSocketEndpoint } from "./api/ws.ts";
import type { EventHub } from "./events/event_hub.ts";
import type { ImageService } from "./engine/image_service.ts";
import type { JobKinds } from "./jobs/job_kinds.ts";
import type { JobRunner } from "./jobs/job_runner.ts";
import type { BlobStore } from "./storage/blob_store.ts";
import type { StoryboardWriter } from "./storyboard/writer.ts";
import type { EnginePool } from "./engine/engine_pool.ts";

/** Everything the app is made of. */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  /** Which database `db` is, and this instance's id (for `/readyz`). */
  readonly database: DatabaseInfo;
  readonly blobs: BlobStore;
  readonly pool: EnginePool;
  readonly images: ImageService;
  readonly hub: EventHub;
  /** The definition of every kind of job. */
  readonly jobs: JobKinds;
  readonly runner: JobRunner;
  readonly websocket: WebSocketEndpoint;
  /** Writes storyboards; null when no LLM is configured. */
  readonly writer: StoryboardWriter | null;
}

/** Bodies of JSON requests are small; only uploads carry images, and imports a bundle of them. */
const JSON_BODY_LIMIT = 1024 * 1024;
const UPLOAD_PATH = /\/uploads?$|\/manifests\/import$/;

/** The reverse-prompt provider `REVERSE_PROMPT_PROVIDER` selects. */
export function activeProvider(config: Config): "gemini" | "local" {
  if (config.reversePromptProvider === "auto") return config.geminiApiKey ? "gemini" : "local";
  return config.reversePromptProvider;
}

/** A body-size limit answering 413 in the API's error shape. */
function payloadLimit(maxSize: number, hint: string): MiddlewareHandler {
  const mb = Math.round((maxSize / 1024 / 1024) * 10) / 10;
  return bodyLimit({
    maxSize,
    onError: (c) =>
      errorResponse(
        c,
        new AppError("payload_too_large", `The request body is over ${mb} MB${hint}.`, {
          code: "payload_too_large",
          details: { max_bytes: maxSize },
        }),
      ),
  });
}

/**
 * The whole HTTP application. Mounting a route group also gathers its route declarations,
 * from which `/openapi.json` is generated on first request.
 */
export function createApp(services: Services): RouteGroup {
  const { config } = services;
  const app = documentedApp();
  app.onError(handleError);
  app.notFound(handleNotFound);
  // First, so that every answer, refusals included, carries the headers.
  app.use(securityHeaders());
  if (config.authToken === undefined) {
    // Without a token, nothing else tells a web page from the person at the keyboard. With
    // one, every request that matters must carry it, and no page of another site has it.
    app.use(hostCheck(config.allowedHosts));
    app.use(originCheck(config.allowedOrigins));
  }

  let document: Record<string, unknown> | undefined;
  app.route(
    "/",
    serviceRoutes({
      db: services.db,
      database: services.database,
      pool: services.pool,
      blobs: services.blobs,
      reversePromptProvider: activeProvider(config),
      storyboardWriter: services.writer ? "gemini" : null,
      openApiDocument: () =>
        document ??= openApiDocument(app, { authRequired: config.authToken !== undefined }),
    }),
  );

  const api = routeGroup();
  api.use(bearerAuth(config.authToken));
  const uploadLimit = payloadLimit(
    config.maxUploadBytes,
    " (MAX_UPLOAD_MB): send fewer or smaller files, or a smaller bundle",
  );
  const jsonLimit = payloadLimit(JSON_BODY_LIMIT, "");
  api.use(function limitBody(c, next) {
    return (UPLOAD_PATH.test(c.req.path) ? uploadLimit : jsonLimit)(c, next);
  });
  const deps = { db: services.db, blobs: services.blobs, images: services.images };
  api.route("/", manifestRoutes(deps));
  api.route("/", bundleRoutes({ ...deps, limits: bundleLimits(config.maxUploadBytes) }));
  api.route("/", assetRoutes(deps));
  api.route("/", identityRoutes(deps));
  api.route(
    "/",
    processingRoutes({
      db: services.db,
      blobs: services.blobs,
      hub: services.hub,
      jobs: services.jobs,
      runner: services.runner,
    }),
  );
  api.route(
    "/",
    projectRoutes({
      db: services.db,
      hub: services.hub,
      runner: services.runner,
      writer: services.writer,
    }),
  );
  app.route("/api", api);
  app.route("/", services.websocket.routes);

  app.use("/*", serveStatic({ root: new URL("../static", import.meta.url).pathname }));
  return app;
}
