/**
 * Identity routes: merge two identities, move one face (SPEC §4). Hand-made changes lock the
 * identities involved, so reprocessing keeps them.
 *
 * @module
 */
import { Hono } from "hono";
import type { Db } from "../../db/database.ts";
import { mergeIdentities, moveFace } from "../../registry/identities.ts";
import { assetToJson, identityToJson } from "../../registry/serialize.ts";
import { IdentityMerge, IdentityMove } from "../schemas.ts";
import { validate } from "../validate.ts";

/** `POST /identities/{id}/merge`, `POST /assets/{id}/identity`. */
export function identityRoutes(deps: { readonly db: Db }): Hono {
  const app = new Hono();

  app.post("/identities/:id/merge", validate("json", IdentityMerge), async (c) => {
    const { into } = c.req.valid("json");
    return c.json(identityToJson(await mergeIdentities(deps.db, c.req.param("id"), into)));
  });

  app.post("/assets/:id/identity", validate("json", IdentityMove), async (c) => {
    const { identity_id } = c.req.valid("json");
    return c.json(assetToJson(await moveFace(deps.db, c.req.param("id"), identity_id)));
  });

  return app;
}
