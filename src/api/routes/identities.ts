/**
 * Identity routes: merge two identities, move one face. Hand-made changes lock the
 * identities involved, so reprocessing keeps them.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { Db } from "../../db/database.ts";
import { mergeIdentities, moveFace } from "../../registry/identities.ts";
import { assetToJson, identityToJson } from "../../registry/serialize.ts";
import { Asset, Identity, IdentityMerge, IdentityMove, IdParam } from "../schemas.ts";
import { errors, json, jsonBody, type RouteGroup, routeGroup } from "../openapi.ts";

const merge = createRoute({
  method: "post",
  path: "/identities/{id}/merge",
  operationId: "mergeIdentity",
  tags: ["identities"],
  summary: "Merge this identity into another (both end locked)",
  request: { params: IdParam, body: jsonBody(IdentityMerge) },
  responses: {
    200: json(Identity, "The identity that received the members"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const move = createRoute({
  method: "post",
  path: "/assets/{id}/identity",
  operationId: "moveFace",
  tags: ["identities"],
  summary: "Move a face to another identity, or to a new one with identity_id null",
  request: { params: IdParam, body: jsonBody(IdentityMove) },
  responses: {
    200: json(Asset, "The face crop with its new identity"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

/** `POST /identities/{id}/merge`, `POST /assets/{id}/identity`. */
export function identityRoutes(deps: { readonly db: Db }): RouteGroup {
  const app = routeGroup();

  app.openapi(merge, async (c) => {
    const { into } = c.req.valid("json");
    return c.json(
      identityToJson(await mergeIdentities(deps.db, c.req.valid("param").id, into)),
      200,
    );
  });

  app.openapi(move, async (c) => {
    const { identity_id } = c.req.valid("json");
    return c.json(assetToJson(await moveFace(deps.db, c.req.valid("param").id, identity_id)), 200);
  });

  return app;
}
