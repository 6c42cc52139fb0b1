/**
 * Routes under `/api/manifests`.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { AssetCreate, ManifestCreate, ManifestListQuery, ManifestUpdate } from "../schemas.ts";
import { validate } from "../validate.ts";
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
import { createAsset, listAssets } from "../../registry/assets.ts";
import { listIdentities } from "../../registry/identities.ts";
import { uploadBatch } from "../../registry/uploads.ts";
import { ASSET_TYPES } from "../../db/vocabulary.ts";
import { assetToJson, identityToJson, manifestToJson } from "../../registry/serialize.ts";

const BatchFields = z.object({
  asset_type: z.array(z.enum(ASSET_TYPES)),
  name: z.array(z.string().max(200)),
});

/** Manifest CRUD, a manifest's assets, uploads and identities. */
export function manifestRoutes(deps: RegistryDeps): Hono {
  const app = new Hono();

  app.post("/manifests", validate("json", ManifestCreate), async (c) => {
    const row = await createManifest(deps, c.req.valid("json"));
    return c.json(manifestToJson(row), 201);
  });

  app.get("/manifests", validate("query", ManifestListQuery), async (c) => {
    const { items, total } = await listManifests(deps, c.req.valid("query"));
    return c.json({ items: items.map(manifestToJson), total });
  });

  app.get("/manifests/:id", async (c) => {
    const manifest = await getManifest(deps.db, c.req.param("id"));
    const assets = await listAssets(deps.db, manifest.id);
    const identities = await listIdentities(deps.db, manifest.id);
    const sum = (key: "prompt_input_tokens" | "prompt_output_tokens") =>
      assets.reduce((total, asset) => total + (asset[key] ?? 0), 0);
    return c.json({
      ...manifestToJson(manifest),
      assets: assets.map(assetToJson),
      identities: identities.map(identityToJson),
      token_usage: {
        input_tokens: sum("prompt_input_tokens"),
        output_tokens: sum("prompt_output_tokens"),
      },
    });
  });

  app.put("/manifests/:id", validate("json", ManifestUpdate), async (c) => {
    const row = await updateManifest(deps, c.req.param("id"), c.req.valid("json"));
    return c.json(manifestToJson(row));
  });

  app.delete("/manifests/:id", async (c) => {
    await deleteManifest(deps, c.req.param("id"));
    return c.body(null, 204);
  });

  app.get("/manifests/:id/assets", async (c) => {
    const rows = await listAssets(deps.db, c.req.param("id"));
    return c.json({ items: rows.map(assetToJson) });
  });

  app.post("/manifests/:id/assets", validate("json", AssetCreate), async (c) => {
    const row = await createAsset(deps, c.req.param("id"), c.req.valid("json"));
    return c.json(assetToJson(row), 201);
  });

  app.post("/manifests/:id/uploads", async (c) => {
    const id = c.req.param("id");
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

  app.get("/manifests/:id/identities", async (c) => {
    const rows = await listIdentities(deps.db, c.req.param("id"));
    return c.json({ items: rows.map(identityToJson) });
  });

  return app;
}
