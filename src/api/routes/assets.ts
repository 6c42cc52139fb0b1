/**
 * Routes under `/api/assets`, and bulk changes to a manifest's assets.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import { imageResponse } from "./image_response.ts";
import {
  Asset,
  AssetBulk,
  AssetBulkResult,
  AssetUpdate,
  AssetUsage,
  ForceQuery,
  IdParam,
  SingleUploadForm,
  ThumbnailQuery,
} from "../schemas.ts";
import {
  errors,
  failure,
  image,
  json,
  jsonBody,
  multipartBody,
  NOT_MODIFIED,
  type RouteGroup,
  routeGroup,
} from "../openapi.ts";
import { filesOf, readForm } from "../multipart.ts";
import { invalid } from "../../errors.ts";
import type { RegistryDeps } from "../../registry/deps.ts";
import {
  deleteAsset,
  getAsset,
  readImage,
  readThumbnail,
  updateAsset,
} from "../../registry/assets.ts";
import { bulkAssets } from "../../registry/bulk_assets.ts";
import { uploadToAsset } from "../../registry/uploads.ts";
import { assetToJson } from "../../registry/serialize.ts";
import { assetUsage } from "../../registry/usage.ts";

/** The 409s of a change to an asset, `asset_in_use` among them. */
const CHANGE_CONFLICT = failure(
  "The manifest is PROCESSING (`manifest_processing`), or a stored storyboard uses the asset " +
    "(`asset_in_use`: `details` is the asset's usage, as GET /assets/{id}/usage reports it; " +
    "send `?force=true` to go ahead)",
);

const read = createRoute({
  method: "get",
  path: "/assets/{id}",
  operationId: "getAsset",
  tags: ["assets"],
  summary: "An asset",
  request: { params: IdParam },
  responses: { 200: json(Asset, "The asset"), ...errors(401, 404) },
});

const update = createRoute({
  method: "put",
  path: "/assets/{id}",
  operationId: "updateAsset",
  tags: ["assets"],
  summary: "Change an asset (a new type gets a new tag)",
  description: "A new asset_type is refused (409 `asset_in_use`) while a stored storyboard " +
    "uses the asset, unless `force=true`.",
  request: { params: IdParam, query: ForceQuery, body: jsonBody(AssetUpdate) },
  responses: {
    200: json(Asset, "The changed asset"),
    ...errors(400, 401, 404, 413, 415, 422),
    409: CHANGE_CONFLICT,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/assets/{id}",
  operationId: "deleteAsset",
  tags: ["assets"],
  summary: "Delete an asset and its crops",
  description: "Refused (409 `asset_in_use`) while a stored storyboard uses the asset or one " +
    "of its crops, unless `force=true`.",
  request: { params: IdParam, query: ForceQuery },
  responses: {
    204: { description: "Deleted" },
    ...errors(401, 404, 422),
    409: CHANGE_CONFLICT,
  },
});

const usage = createRoute({
  method: "get",
  path: "/assets/{id}/usage",
  operationId: "getAssetUsage",
  tags: ["assets"],
  summary: "The projects and scenes whose storyboard uses the asset's tag or its identity's",
  request: { params: IdParam },
  responses: { 200: json(AssetUsage, "Where the asset is used"), ...errors(401, 404) },
});

const bulk = createRoute({
  method: "post",
  path: "/manifests/{id}/assets/bulk",
  operationId: "bulkAssets",
  tags: ["assets"],
  summary: "Change the type of, or delete, many assets at once, all or nothing",
  description: "One transaction: unknown ids (422 `assets_not_found`) or ids of another " +
    "manifest (422 `assets_in_other_manifest`) change nothing and are listed in " +
    "`details.ids`. A new type gives each asset a new tag, numbered in the order named. Like " +
    "one asset's change, retyping or deleting an asset a stored storyboard uses is refused " +
    "(409 `asset_in_use`, naming the first one) unless `force=true`.",
  request: { params: IdParam, query: ForceQuery, body: jsonBody(AssetBulk) },
  responses: {
    200: json(AssetBulkResult, "What was changed or deleted"),
    ...errors(400, 401, 404, 413, 415, 422),
    409: CHANGE_CONFLICT,
  },
});

const upload = createRoute({
  method: "post",
  path: "/assets/{id}/upload",
  operationId: "uploadAssetImage",
  tags: ["assets"],
  summary: "Give an asset its image",
  request: {
    params: IdParam,
    body: multipartBody("SingleUpload", "Exactly one `file` part"),
  },
  responses: {
    200: json(Asset, "The asset with its new image"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const original = createRoute({
  method: "get",
  path: "/assets/{id}/image",
  operationId: "getAssetImage",
  tags: ["assets"],
  summary: "The asset's image",
  request: { params: IdParam },
  responses: {
    200: image("The image as uploaded (or cut)", ["image/jpeg", "image/png", "image/webp"]),
    304: NOT_MODIFIED,
    ...errors(401, 404),
  },
});

const thumbnail = createRoute({
  method: "get",
  path: "/assets/{id}/thumbnail",
  operationId: "getAssetThumbnail",
  tags: ["assets"],
  summary: "A JPEG thumbnail",
  request: { params: IdParam, query: ThumbnailQuery },
  responses: {
    200: image("The thumbnail, its longer side `size` pixels at most"),
    304: NOT_MODIFIED,
    ...errors(401, 404, 422),
  },
});

/** Asset read, change, delete, bulk, usage, upload and image routes. */
export function assetRoutes(deps: RegistryDeps): RouteGroup {
  const app = routeGroup();
  // The multipart body is read by hand, so its schema is not reached through a route.
  app.openAPIRegistry.register("SingleUpload", SingleUploadForm);

  app.openapi(read, async (c) => {
    return c.json(assetToJson(await getAsset(deps.db, c.req.valid("param").id)), 200);
  });

  app.openapi(update, async (c) => {
    const { force } = c.req.valid("query");
    const row = await updateAsset(deps, c.req.valid("param").id, c.req.valid("json"), { force });
    return c.json(assetToJson(row), 200);
  });

  app.openapi(remove, async (c) => {
    const { force } = c.req.valid("query");
    await deleteAsset(deps, c.req.valid("param").id, { force });
    return c.body(null, 204);
  });

  app.openapi(bulk, async (c) => {
    const { force } = c.req.valid("query");
    const result = await bulkAssets(deps, c.req.valid("param").id, c.req.valid("json"), { force });
    return c.json({ items: result.items.map(assetToJson), deleted_ids: result.deleted_ids }, 200);
  });

  app.openapi(usage, async (c) => {
    return c.json(await assetUsage(deps.db, c.req.valid("param").id), 200);
  });

  app.openapi(upload, async (c) => {
    const { id } = c.req.valid("param");
    // An unknown id answers 404 before a possibly large body is read.
    await getAsset(deps.db, id);
    const files = await filesOf(await readForm(c));
    if (files.length !== 1) {
      throw invalid("one_file_expected", "Send exactly one `file` to replace an asset's image.");
    }
    return c.json(assetToJson(await uploadToAsset(deps, id, files[0])), 200);
  });

  app.openapi(original, async (c) => {
    const { bytes, mime, etag } = await readImage(deps, c.req.valid("param").id);
    return imageResponse(c, bytes, mime, etag);
  });

  app.openapi(thumbnail, async (c) => {
    const { size } = c.req.valid("query");
    const { bytes, etag } = await readThumbnail(deps, c.req.valid("param").id, size);
    return imageResponse(c, bytes, "image/jpeg", etag);
  });

  return app;
}
