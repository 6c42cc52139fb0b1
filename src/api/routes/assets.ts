/**
 * Routes under `/api/assets`.
 *
 * @module
 */
import { Hono } from "hono";
import { imageResponse } from "./image_response.ts";
import { AssetUpdate, ThumbnailQuery } from "../schemas.ts";
import { validate } from "../validate.ts";
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
import { uploadToAsset } from "../../registry/uploads.ts";
import { assetToJson } from "../../registry/serialize.ts";

/** Asset read, change, delete, upload and image routes. */
export function assetRoutes(deps: RegistryDeps): Hono {
  const app = new Hono();

  app.get(
    "/assets/:id",
    async (c) => c.json(assetToJson(await getAsset(deps.db, c.req.param("id")))),
  );

  app.put("/assets/:id", validate("json", AssetUpdate), async (c) => {
    return c.json(assetToJson(await updateAsset(deps, c.req.param("id"), c.req.valid("json"))));
  });

  app.delete("/assets/:id", async (c) => {
    await deleteAsset(deps, c.req.param("id"));
    return c.body(null, 204);
  });

  app.post("/assets/:id/upload", async (c) => {
    // An unknown id answers 404 before a possibly large body is read.
    await getAsset(deps.db, c.req.param("id"));
    const files = await filesOf(await readForm(c));
    if (files.length !== 1) {
      throw invalid("one_file_expected", "Send exactly one `file` to replace an asset's image.");
    }
    return c.json(assetToJson(await uploadToAsset(deps, c.req.param("id"), files[0])));
  });

  app.get("/assets/:id/image", async (c) => {
    const { bytes, mime, etag } = await readImage(deps, c.req.param("id"));
    return imageResponse(c, bytes, mime, etag);
  });

  app.get("/assets/:id/thumbnail", validate("query", ThumbnailQuery), async (c) => {
    const { size } = c.req.valid("query");
    const { bytes, etag } = await readThumbnail(deps, c.req.param("id"), size);
    return imageResponse(c, bytes, "image/jpeg", etag);
  });

  return app;
}
