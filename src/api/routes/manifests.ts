/**
 * Routes under `/api/manifests`.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context, TypedResponse } from "hono";
import type { JsonText } from "../../json_chunks.ts";
import { z } from "zod";
import {
  Asset,
  AssetCreate,
  AssetList,
  BatchUploadForm,
  IdentityList,
  IdParam,
  Manifest,
  ManifestCreate,
  ManifestDetail,
  ManifestList,
  ManifestListQuery,
  ManifestUpdate,
} from "../schemas.ts";
import { errors, json, jsonBody, multipartBody, type RouteGroup, routeGroup } from "../openapi.ts";
import { filesOf, readForm, textsOf } from "../multipart.ts";
import { validationError } from "../http_errors.ts";
import type { RegistryDeps } from "../../registry/deps.ts";
import {
  createManifest,
  deleteManifest,
  getManifest,
  listManifests,
  updateManifest,
} from "../../registry/manifests.ts";
import { createAsset } from "../../registry/assets.ts";
import { assetListText, manifestDetailText } from "../../registry/manifest_text.ts";
import { listIdentities } from "../../registry/identities.ts";
import { uploadBatch } from "../../registry/uploads.ts";
import { ASSET_TYPES } from "../../db/vocabulary.ts";
import { assetToJson, identityToJson, manifestToJson } from "../../registry/serialize.ts";

const BatchFields = z.object({
  asset_type: z.array(z.enum(ASSET_TYPES)),
  name: z.array(z.string().max(200)),
});

const create = createRoute({
  method: "post",
  path: "/manifests",
  operationId: "createManifest",
  tags: ["manifests"],
  summary: "Create a manifest",
  request: { body: jsonBody(ManifestCreate) },
  responses: {
    201: json(Manifest, "The new manifest, DRAFT and empty"),
    ...errors(400, 401, 413, 415, 422),
  },
});

const list = createRoute({
  method: "get",
  path: "/manifests",
  operationId: "listManifests",
  tags: ["manifests"],
  summary: "List, filter and sort manifests",
  request: { query: ManifestListQuery },
  responses: {
    200: json(ManifestList, "A page of manifests and how many match in all"),
    ...errors(401, 422),
  },
});

const read = createRoute({
  method: "get",
  path: "/manifests/{id}",
  operationId: "getManifest",
  tags: ["manifests"],
  summary: "A manifest with its assets and identities",
  request: { params: IdParam },
  responses: {
    200: json(ManifestDetail, "The manifest, its assets, identities and token usage"),
    ...errors(401, 404),
  },
});

const update = createRoute({
  method: "put",
  path: "/manifests/{id}",
  operationId: "updateManifest",
  tags: ["manifests"],
  summary: "Change a manifest",
  request: { params: IdParam, body: jsonBody(ManifestUpdate) },
  responses: {
    200: json(Manifest, "The changed manifest"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/manifests/{id}",
  operationId: "deleteManifest",
  tags: ["manifests"],
  summary: "Delete a manifest and its assets",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errors(401, 404, 409) },
});

const assets = createRoute({
  method: "get",
  path: "/manifests/{id}/assets",
  operationId: "listManifestAssets",
  tags: ["assets"],
  summary: "A manifest's assets",
  request: { params: IdParam },
  responses: { 200: json(AssetList, "Every asset of the manifest"), ...errors(401, 404) },
});

const createOne = createRoute({
  method: "post",
  path: "/manifests/{id}/assets",
  operationId: "createAsset",
  tags: ["assets"],
  summary: "Create an asset without an image",
  request: { params: IdParam, body: jsonBody(AssetCreate) },
  responses: {
    201: json(Asset, "The new asset"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const uploads = createRoute({
  method: "post",
  path: "/manifests/{id}/uploads",
  operationId: "uploadAssets",
  tags: ["assets"],
  summary: "Upload one or more images, one asset each",
  description: "All or nothing: one bad file refuses the batch, and its error names the file.",
  request: {
    params: IdParam,
    body: multipartBody("BatchUpload", "One `file` part per image, optional per-file fields"),
  },
  responses: {
    201: json(AssetList, "The new assets, in the order of the files"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const identities = createRoute({
  method: "get",
  path: "/manifests/{id}/identities",
  operationId: "listManifestIdentities",
  tags: ["identities"],
  summary: "People recognised in a manifest",
  request: { params: IdParam },
  responses: { 200: json(IdentityList, "The manifest's identities"), ...errors(401, 404) },
});

/** Manifest CRUD, a manifest's assets, uploads and identities. */
export function manifestRoutes(deps: RegistryDeps): RouteGroup {
  const app = routeGroup();
  // The multipart body is read by hand, so its schema is not reached through a route.
  app.openAPIRegistry.register("BatchUpload", BatchUploadForm);

  app.openapi(create, async (c) => {
    const row = await createManifest(deps, c.req.valid("json"));
    return c.json(manifestToJson(row), 201);
  });

  app.openapi(list, async (c) => {
    const { items, total } = await listManifests(deps, c.req.valid("query"));
    return c.json({ items: items.map(manifestToJson), total }, 200);
  });

  app.openapi(read, async (c) => {
    const text = await manifestDetailText(deps.db, c.req.valid("param").id);
    return jsonStream(c, text);
  });

  app.openapi(update, async (c) => {
    const row = await updateManifest(deps, c.req.valid("param").id, c.req.valid("json"));
    return c.json(manifestToJson(row), 200);
  });

  app.openapi(remove, async (c) => {
    await deleteManifest(deps, c.req.valid("param").id);
    return c.body(null, 204);
  });

  app.openapi(assets, async (c) => {
    const text = await assetListText(deps.db, c.req.valid("param").id);
    return jsonStream(c, text);
  });

  app.openapi(createOne, async (c) => {
    const row = await createAsset(deps, c.req.valid("param").id, c.req.valid("json"));
    return c.json(assetToJson(row), 201);
  });

  app.openapi(uploads, async (c) => {
    const { id } = c.req.valid("param");
    // An unknown id answers 404 before a possibly large body is read.
    await getManifest(deps.db, id);
    const form = await readForm(c);
    const fields = BatchFields.safeParse({
      asset_type: textsOf(form, "asset_type"),
      name: textsOf(form, "name"),
    });
    if (!fields.success) throw validationError(fields.error, "form");
    const rows = await uploadBatch(deps, id, await filesOf(form), {
      assetTypes: fields.data.asset_type,
      names: fields.data.name,
    });
    return c.json({ items: rows.map(assetToJson) }, 201);
  });

  app.openapi(identities, async (c) => {
    const rows = await listIdentities(deps.db, c.req.valid("param").id);
    return c.json({ items: rows.map(identityToJson) }, 200);
  });

  return app;
}

/**
 * A 200 JSON body sent as it is written. Its status is already sent when the text starts, so
 * the text must not fail for anything a client did: every 4xx is raised before.
 */
function jsonStream<T>(c: Context, text: JsonText<T>): Response & TypedResponse<T, 200, "json"> {
  const body = ReadableStream.from(text).pipeThrough(new TextEncoderStream());
  // The text's type is the document it writes, so the route's schema still checks it.
  const response: Response = c.body(body, 200, { "content-type": "application/json" });
  return response as Response & TypedResponse<T, 200, "json">;
}
