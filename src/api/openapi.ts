/**
 * `/openapi.json`, generated from the same zod schemas the handlers validate with.
 *
 * The route list below is checked against the app's real routes by a test, so the document
 * cannot silently drift from what the server answers.
 *
 * @module
 */
import { z } from "zod";
import * as S from "./schemas.ts";
import * as P from "./project_schemas.ts";

type Schema = z.ZodType;

/** Documentation of one route. */
export interface RouteDoc {
  readonly method: "get" | "post" | "put" | "delete";
  /** OpenAPI path, e.g. `/api/manifests/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly query?: z.ZodObject;
  readonly json?: Schema;
  readonly multipart?: Schema;
  /** Status → body schema (`null` = no body, a string = a binary media type). */
  readonly responses: Readonly<Record<number, Schema | string | null>>;
}

const E = [400, 401, 404, 409, 413, 415, 422] as const;

/** Every documented route. */
export const ROUTES: readonly RouteDoc[] = [
  {
    method: "get",
    path: "/healthz",
    summary: "Liveness",
    tag: "service",
    responses: { 200: S.Health },
  },
  {
    method: "get",
    path: "/readyz",
    summary: "Readiness: database, workers, models, reverse-prompt provider",
    tag: "service",
    responses: { 200: S.Readiness, 503: S.Readiness },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tag: "service",
    responses: { 200: "application/json" },
  },
  {
    method: "post",
    path: "/api/manifests",
    summary: "Create a manifest",
    tag: "manifests",
    json: S.ManifestCreate,
    responses: { 201: S.Manifest },
  },
  {
    method: "get",
    path: "/api/manifests",
    summary: "List, filter and sort manifests",
    tag: "manifests",
    query: S.ManifestListQuery,
    responses: { 200: S.ManifestList },
  },
  {
    method: "get",
    path: "/api/manifests/{id}",
    summary: "A manifest with its assets and identities",
    tag: "manifests",
    responses: { 200: S.ManifestDetail },
  },
  {
    method: "put",
    path: "/api/manifests/{id}",
    summary: "Change a manifest",
    tag: "manifests",
    json: S.ManifestUpdate,
    responses: { 200: S.Manifest },
  },
  {
    method: "delete",
    path: "/api/manifests/{id}",
    summary: "Delete a manifest and its assets",
    tag: "manifests",
    responses: { 204: null },
  },
  {
    method: "get",
    path: "/api/manifests/{id}/assets",
    summary: "A manifest's assets",
    tag: "assets",
    responses: { 200: S.AssetList },
  },
  {
    method: "post",
    path: "/api/manifests/{id}/assets",
    summary: "Create an asset without an image",
    tag: "assets",
    json: S.AssetCreate,
    responses: { 201: S.Asset },
  },
  {
    method: "post",
    path: "/api/manifests/{id}/uploads",
    summary: "Upload one or more images, one asset each",
    tag: "assets",
    multipart: S.BatchUploadForm,
    responses: { 201: S.AssetList },
  },
  {
    method: "get",
    path: "/api/manifests/{id}/identities",
    summary: "People recognised in a manifest",
    tag: "identities",
    responses: { 200: S.IdentityList },
  },
  {
    method: "get",
    path: "/api/assets/{id}",
    summary: "An asset",
    tag: "assets",
    responses: { 200: S.Asset },
  },
  {
    method: "put",
    path: "/api/assets/{id}",
    summary: "Change an asset (a new type gets a new tag)",
    tag: "assets",
    json: S.AssetUpdate,
    responses: { 200: S.Asset },
  },
  {
    method: "delete",
    path: "/api/assets/{id}",
    summary: "Delete an asset and its crops",
    tag: "assets",
    responses: { 204: null },
  },
  {
    method: "post",
    path: "/api/assets/{id}/upload",
    summary: "Give an asset its image",
    tag: "assets",
    multipart: S.SingleUploadForm,
    responses: { 200: S.Asset },
  },
  {
    method: "get",
    path: "/api/assets/{id}/image",
    summary: "The asset's image",
    tag: "assets",
    responses: { 200: "image/*" },
  },
  {
    method: "get",
    path: "/api/assets/{id}/thumbnail",
    summary: "A JPEG thumbnail",
    tag: "assets",
    query: S.ThumbnailQuery,
    responses: { 200: "image/jpeg" },
  },
  {
    method: "post",
    path: "/api/identities/{id}/merge",
    summary: "Merge this identity into another (both end locked)",
    tag: "identities",
    json: S.IdentityMerge,
    responses: { 200: S.Identity },
  },
  {
    method: "post",
    path: "/api/assets/{id}/identity",
    summary: "Move a face to another identity, or to a new one with identity_id null",
    tag: "identities",
    json: S.IdentityMove,
    responses: { 200: S.Asset },
  },
  {
    method: "post",
    path: "/api/manifests/{id}/process",
    summary: "Start processing: contact sheet, detection, face matching, prompts, tags",
    tag: "processing",
    responses: { 202: S.ProcessStarted },
  },
  {
    method: "get",
    path: "/api/manifests/{id}/progress",
    summary: "Progress of the manifest's newest job (also the WebSocket snapshot)",
    tag: "processing",
    responses: { 200: S.Progress },
  },
  {
    method: "get",
    path: "/api/manifests/{id}/contact-sheet",
    summary: "The contact sheet (JPEG)",
    tag: "processing",
    responses: { 200: "image/jpeg" },
  },
  {
    method: "post",
    path: "/api/assets/{id}/reprocess",
    summary: "Re-run detection, embedding and reverse prompting for one asset",
    tag: "processing",
    responses: { 200: S.Asset, 202: S.ReprocessQueued },
  },
  {
    method: "get",
    path: "/api/jobs",
    summary: "Jobs, newest first",
    tag: "processing",
    query: S.JobListQuery,
    responses: { 200: S.JobList },
  },
  {
    method: "get",
    path: "/api/jobs/{id}",
    summary: "A job",
    tag: "processing",
    responses: { 200: S.Job },
  },
  {
    method: "post",
    path: "/api/jobs/{id}/cancel",
    summary: "Cancel a queued or running job; its manifest returns to its previous status",
    tag: "processing",
    responses: { 200: S.Job },
  },
  {
    method: "get",
    path: "/api/manifests/{id}/registry",
    summary: "The registry block the storyboard LLM reads (text): one entry per identity or asset",
    tag: "storyboards",
    responses: { 200: "text/plain" },
  },
  {
    method: "post",
    path: "/api/projects",
    summary: "Create a project: a script grounded on a manifest",
    tag: "storyboards",
    json: P.ProjectCreate,
    responses: { 201: P.Project },
  },
  {
    method: "get",
    path: "/api/projects",
    summary: "Projects, most recently changed first",
    tag: "storyboards",
    query: P.ProjectListQuery,
    responses: { 200: P.ProjectList },
  },
  {
    method: "get",
    path: "/api/projects/{id}",
    summary: "A project",
    tag: "storyboards",
    responses: { 200: P.Project },
  },
  {
    method: "put",
    path: "/api/projects/{id}",
    summary: "Change a project's script, look or manifest (409 while generating)",
    tag: "storyboards",
    json: P.ProjectUpdate,
    responses: { 200: P.Project },
  },
  {
    method: "delete",
    path: "/api/projects/{id}",
    summary: "Delete a project and its storyboard",
    tag: "storyboards",
    responses: { 204: null },
  },
  {
    method: "post",
    path: "/api/projects/{id}/storyboard",
    summary: "Generate the storyboard (a job; frames on project:{id}); 503 without an LLM",
    tag: "storyboards",
    responses: { 202: P.StoryboardStarted, 503: S.ErrorBody },
  },
  {
    method: "get",
    path: "/api/projects/{id}/progress",
    summary: "Progress of the project's newest storyboard job (also the WebSocket snapshot)",
    tag: "storyboards",
    responses: { 200: P.StoryboardProgress },
  },
  {
    method: "get",
    path: "/api/projects/{id}/storyboard",
    summary: "The stored storyboard with every scene's manifest and audio manifest",
    tag: "storyboards",
    responses: { 200: P.Storyboard },
  },
  {
    method: "get",
    path: "/api/projects/{id}/scenes/{index}/manifest",
    summary: "One scene's manifest: placements, composition, new assets",
    tag: "storyboards",
    responses: { 200: P.SceneManifest },
  },
  {
    method: "get",
    path: "/api/projects/{id}/scenes/{index}/audio",
    summary: "One scene's audio manifest: dialogue, SFX, ambience, music, continuity",
    tag: "storyboards",
    responses: { 200: P.SceneAudio },
  },
  {
    method: "get",
    path: "/ws",
    summary: "WebSocket upgrade: live progress frames (subscribe, since, snapshot; SPEC §6)",
    tag: "service",
    responses: { 101: null, 400: S.ErrorBody },
  },
];

const REF = (id: string) => `#/components/schemas/${id}`;

function schemaOf(schema: Schema, io: "input" | "output"): unknown {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: REF(id) };
  return z.toJSONSchema(schema, { io, target: "openapi-3.0", unrepresentable: "any" });
}

function body(spec: Schema | string | null, description: string) {
  if (spec === null) return { description };
  if (typeof spec === "string") {
    return { description, content: { [spec]: { schema: { type: "string", format: "binary" } } } };
  }
  return { description, content: { "application/json": { schema: schemaOf(spec, "output") } } };
}

function queryParameters(query: z.ZodObject) {
  const json = z.toJSONSchema(query, { io: "input", target: "openapi-3.0" }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema,
  }));
}

/** Every schema registered with an `id`, as OpenAPI 3.0 components (no `$id`: 3.0 forbids it). */
function componentSchemas(io: "input" | "output"): Record<string, Record<string, unknown>> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: "openapi-3.0",
    io,
    unrepresentable: "any",
    uri: REF,
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const schema of Object.values(schemas)) delete schema.$id;
  return schemas;
}

/** Builds the OpenAPI 3 document. */
export function buildOpenApi(options: { authRequired: boolean }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    if (route.path.includes("{id}")) {
      parameters.push({
        name: "id",
        in: "path",
        required: true,
        schema: { type: "string", format: "uuid" },
      });
    }
    if (route.path.includes("{index}")) {
      parameters.push({
        name: "index",
        in: "path",
        required: true,
        schema: { type: "integer", minimum: 0 },
      });
    }
    if (route.query) parameters.push(...queryParameters(route.query));
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = body(spec, Number(status) < 400 ? "Success" : "Not ready");
    }
    if (route.path.startsWith("/api")) {
      for (const status of E) responses[status] ??= body(S.ErrorBody, "Error");
    }
    const request = route.json
      ? {
        required: true,
        content: { "application/json": { schema: schemaOf(route.json, "input") } },
      }
      : route.multipart
      ? {
        required: true,
        content: { "multipart/form-data": { schema: schemaOf(route.multipart, "input") } },
      }
      : undefined;
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length > 0 && { parameters }),
      ...(request && { requestBody: request }),
      responses,
      ...(options.authRequired && route.path.startsWith("/api") && { security: [{ bearer: [] }] }),
    };
  }
  const schemas = componentSchemas("output");
  // Request bodies are validated as input: a field with a default is optional for a client.
  const inputs = componentSchemas("input");
  for (const route of ROUTES) {
    const id = [route.json, route.multipart].map((s) => s && z.globalRegistry.get(s)?.id)
      .find(Boolean);
    if (id) schemas[id] = inputs[id];
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "Manifest Studio",
      version: "0.1.0",
      description:
        "Turns reference photos into a tagged manifest of assets for AI video pre-production.",
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
