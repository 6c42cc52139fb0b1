/**
 * The OpenAPI side of the HTTP API. Every route is declared once with `createRoute` from
 * `@hono/zod-openapi`: the declaration's zod schemas validate the request, type the handler
 * and describe the operation, and `/openapi.json` is generated from those declarations.
 *
 * This module holds what the declarations share: the app each route module builds on (its
 * validation failures answer the API's 422 body), the response and body builders, and the
 * document itself.
 *
 * @module
 */
import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { Env, ValidationTargets } from "hono";
import type { BlankEnv } from "hono/types";
import type { z } from "zod";
import { validationError } from "./http_errors.ts";
import { ErrorBody } from "./schemas.ts";

/** How a 422 message names the part of the request that is wrong. */
const WHERE: Partial<Record<keyof ValidationTargets, string>> = {
  json: "request body",
  query: "query string",
  param: "path",
};

/** `defaultHook` of every route group: a failed validation becomes the 422 `AppError`. */
function rejectInvalid(result: Parameters<Hook<unknown, Env, string, void>>[0]): void {
  if (!result.success) throw validationError(result.error, WHERE[result.target] ?? result.target);
}

/** A group of routes declared with `app.openapi(createRoute(…), handler)`. */
export type RouteGroup = OpenAPIHono<BlankEnv>;

/** A new, empty route group. */
export function routeGroup(): RouteGroup {
  return new OpenAPIHono<BlankEnv>({ defaultHook: rejectInvalid });
}

/**
 * The root app: route groups mount on it (`app.route`), which also gathers their
 * declarations, and it knows the security schemes the document refers to.
 */
export function documentedApp(): RouteGroup {
  const app = routeGroup();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <AUTH_TOKEN>`. Required on every /api operation when " +
      "the server runs with AUTH_TOKEN set; without it, no token is needed and any is ignored.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "tokenQuery", {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "The same token as `?token=<AUTH_TOKEN>`, for URLs a browser fetches by itself " +
      "(`<img src>`, WebSocket). Prefer the header elsewhere: query strings end up in logs.",
  });
  return app;
}

// ---- responses and bodies --------------------------------------------------------------------

/** Error statuses the API answers on purpose, each with the shared `Error` body. */
export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 503;

const ERROR_MEANING: Readonly<Record<ErrorStatus, string>> = {
  400: "The body could not be read: malformed JSON or multipart",
  401: "The access token is missing or wrong (only when the server runs with AUTH_TOKEN)",
  404: "Nothing has this id, or what is asked for does not exist yet",
  409: "Conflicts with the current state, e.g. the manifest is PROCESSING; `code` says which",
  413: "The body is over the size limit (1 MB for JSON, MAX_UPLOAD_MB for uploads)",
  415: "The body is not of the media type this operation reads",
  422: "Well-formed but not acceptable: `message` and `details` name each wrong field",
  503: "A service this operation needs is not configured",
};

/** One error response. */
interface ErrorResponse {
  readonly description: string;
  readonly content: { readonly "application/json": { readonly schema: typeof ErrorBody } };
}

/** An error response with its own description and the shared `Error` body. */
export function failure(description: string): ErrorResponse {
  return { description, content: { "application/json": { schema: ErrorBody } } };
}

/** The error responses `statuses` with their usual meaning, all with the `Error` body. */
export function errors<const S extends ErrorStatus>(...statuses: S[]): { [K in S]: ErrorResponse } {
  const entries = statuses.map((status) => [status, failure(ERROR_MEANING[status])]);
  return Object.fromEntries(entries) as { [K in S]: ErrorResponse };
}

/** A response with a JSON body. */
export function json<const T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body (without `required` the library would accept no body). */
export function jsonBody<const T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } };
}

/**
 * A required `multipart/form-data` body, read by hand in the handler (an unknown id must
 * answer 404 before a large body is read): the schema is only described, so it is referenced
 * by name rather than handed to the library, which would validate it first.
 */
export function multipartBody(
  component: string,
  description: string,
  fileTypes = "image/jpeg, image/png, image/webp",
) {
  return {
    required: true,
    description,
    content: {
      "multipart/form-data": {
        schema: { $ref: `#/components/schemas/${component}` },
        encoding: { file: { contentType: fileTypes } },
      },
    },
  };
}

const BINARY = { type: "string", format: "binary" } as const;

/** A ZIP download, named by its `Content-Disposition`. */
export function zipDownload(description: string) {
  return {
    description,
    headers: {
      "Content-Disposition": {
        description: "`attachment` with the file name, in ASCII and (`filename*`) in UTF-8",
        schema: { type: "string", example: 'attachment; filename="Demo-cast-bundle.zip"' },
      },
    },
    content: { "application/zip": { schema: BINARY } },
  } as const;
}

/** An image answered with a strong ETag (see `image_response.ts`). */
export function image(description: string, types: readonly string[] = ["image/jpeg"]) {
  return {
    description,
    headers: {
      ETag: { description: "Send it back as If-None-Match to get 304", schema: { type: "string" } },
      "Cache-Control": { schema: { type: "string", example: "private, no-cache" } },
    },
    content: Object.fromEntries(types.map((type) => [type, { schema: BINARY }])),
  } as const;
}

/** The 304 of an image route whose ETag the client already has. */
export const NOT_MODIFIED = {
  description: "The client's copy (If-None-Match) is current",
} as const;

// ---- the document ----------------------------------------------------------------------------

const TAGS = [
  { name: "manifests", description: "Collections of reference assets" },
  { name: "assets", description: "Images and their descriptions, one manifest entry each" },
  { name: "identities", description: "People recognised across photos" },
  { name: "processing", description: "Detection, face matching and reverse prompting as jobs" },
  {
    name: "storyboards",
    description: "Projects: scripts turned into storyboards grounded on a manifest",
  },
  { name: "service", description: "Probes, this document and the live WebSocket" },
];

/**
 * The OpenAPI 3.1 document of everything declared on `app`. With `authRequired` every /api
 * operation needs the token; without, the empty alternative says none is needed.
 */
export function openApiDocument(
  app: RouteGroup,
  options: { authRequired: boolean },
): Record<string, unknown> {
  const token: Record<string, string[]>[] = [{ bearerAuth: [] }, { tokenQuery: [] }];
  // Spread into a plain object, which a `Record` accepts (the library returns an interface).
  return {
    ...app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Manifest Studio",
        version: "0.1.0",
        description:
          "Turns reference photos into a tagged manifest of assets for AI video pre-production, " +
          "and scripts into storyboards that use those assets. Every error answers " +
          "`{error: {code, message, details?}}` (the `Error` schema).",
      },
      servers: [{ url: "/", description: "The server that serves this document" }],
      tags: TAGS,
      security: options.authRequired ? token : [{}, ...token],
    }),
  };
}
