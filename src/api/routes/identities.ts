/**
 * Identity routes: name an identity, merge two or many, move one face. Hand-made changes
 * lock the identities involved, so reprocessing keeps them.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import type { Db } from "../../db/database.ts";
import {
  mergeIdentities,
  mergeManyIdentities,
  moveFace,
  renameIdentity,
} from "../../registry/identities.ts";
import { assetToJson, identityToJson } from "../../registry/serialize.ts";
import {
  Asset,
  Identity,
  IdentityMerge,
  IdentityMergeMany,
  IdentityMove,
  IdentityUpdate,
  IdParam,
} from "../schemas.ts";
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

const mergeMany = createRoute({
  method: "post",
  path: "/manifests/{id}/identities/merge",
  operationId: "mergeIdentities",
  tags: ["identities"],
  summary: "Merge several identities of a manifest into one, all or nothing",
  description: "One transaction: unknown ids (422 `identities_not_found`), ids of another " +
    "manifest (422 `identities_in_other_manifest`) or fewer than two identities in all " +
    "(422 `merge_needs_two`) change nothing. The identity kept ends locked.",
  request: { params: IdParam, body: jsonBody(IdentityMergeMany) },
  responses: {
    200: json(Identity, "The identity that received every member"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const rename = createRoute({
  method: "put",
  path: "/identities/{id}",
  operationId: "updateIdentity",
  tags: ["identities"],
  summary: "Name an identity (it ends locked, so reprocessing keeps it)",
  request: { params: IdParam, body: jsonBody(IdentityUpdate) },
  responses: {
    200: json(Identity, "The identity with its new name"),
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

/**
 * `PUT /identities/{id}`, `POST /identities/{id}/merge`, `POST /manifests/{id}/identities/merge`,
 * `POST /assets/{id}/identity`.
 */
export function identityRoutes(deps: { readonly db: Db }): RouteGroup {
  const app = routeGroup();

  app.openapi(merge, async (c) => {
    const { into } = c.req.valid("json");
    return c.json(
      identityToJson(await mergeIdentities(deps.db, c.req.valid("param").id, into)),
      200,
    );
  });

  app.openapi(mergeMany, async (c) => {
    const { identity_ids, into } = c.req.valid("json");
    const row = await mergeManyIdentities(deps.db, c.req.valid("param").id, identity_ids, into);
    return c.json(identityToJson(row), 200);
  });

  app.openapi(rename, async (c) => {
    const row = await renameIdentity(deps.db, c.req.valid("param").id, c.req.valid("json").name);
    return c.json(identityToJson(row), 200);
  });

  app.openapi(move, async (c) => {
    const { identity_id } = c.req.valid("json");
    return c.json(assetToJson(await moveFace(deps.db, c.req.valid("param").id, identity_id)), 200);
  });

  return app;
}
