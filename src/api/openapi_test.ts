import assert from "node:assert/strict";
import { startTestServer } from "../../tests/_harness.ts";
import { buildOpenApi, ROUTES } from "./openapi.ts";

type Json = Record<string, unknown>;

/** `METHOD /path/{id}` keys of the routes the Hono app really answers. */
function appRoutes(routes: readonly { method: string; path: string }[]): Set<string> {
  const keys = new Set<string>();
  for (const route of routes) {
    // Middleware (`use`) and the static-file catch-all are registered with method ALL.
    if (route.method === "ALL") continue;
    keys.add(`${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`);
  }
  return keys;
}

/** `METHOD /path/{id}` keys of the documented routes. */
function documentedRoutes(): Set<string> {
  return new Set(ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`));
}

/** Every `$ref` string anywhere in `node`, with the JSON path where it occurs. */
function collectRefs(node: unknown, path = "#", out: [string, string][] = []): [string, string][] {
  if (Array.isArray(node)) node.forEach((item, i) => collectRefs(item, `${path}/${i}`, out));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push([path, value]);
      else collectRefs(value, `${path}/${key}`, out);
    }
  }
  return out;
}

/** Follows a local JSON pointer (`#/a/b`) in `doc`, or returns undefined. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

Deno.test("every route the app serves is documented, and every documented route exists", async () => {
  const server = await startTestServer();
  try {
    const served = appRoutes(server.app.routes);
    const documented = documentedRoutes();
    // Sanity: the conversion found the routes with ids, so an empty diff means something.
    assert.ok(served.has("GET /api/manifests/{id}"), [...served].join("\n"));
    assert.ok(served.has("GET /healthz"));

    const undocumented = [...served].filter((key) => !documented.has(key));
    const phantom = [...documented].filter((key) => !served.has(key));
    assert.deepEqual(undocumented, [], "routes missing from ROUTES in src/api/openapi.ts");
    assert.deepEqual(phantom, [], "ROUTES documents routes the app does not serve");
    assert.equal(ROUTES.length, documented.size, "ROUTES lists a route twice");
  } finally {
    await server.close();
  }
});

Deno.test("GET /openapi.json serves an OpenAPI 3.0.3 document with the core schemas", async () => {
  const server = await startTestServer();
  try {
    const response = await server.fetch("/openapi.json");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    const doc = await response.json();
    assert.equal(doc.openapi, "3.0.3");
    assert.equal(typeof doc.info?.title, "string");
    assert.equal(typeof doc.info?.version, "string");
    const schemas = doc.components?.schemas ?? {};
    for (const name of ["Manifest", "Asset", "ManifestCreate", "Error"]) {
      assert.ok(schemas[name], `components.schemas.${name} is missing`);
    }
    assert.equal(schemas.Error.type, "object");
    assert.ok(schemas.Error.properties?.error, "Error has an `error` property");

    // The served paths are exactly the documented routes.
    const served = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const method of Object.keys(operations)) served.add(`${method.toUpperCase()} ${path}`);
    }
    assert.deepEqual([...served].sort(), [...documentedRoutes()].sort());

    // Without AUTH_TOKEN no operation claims to need the bearer token.
    for (const operations of Object.values(doc.paths as Record<string, Record<string, Json>>)) {
      for (const operation of Object.values(operations)) {
        assert.equal(operation.security, undefined);
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("every $ref in the OpenAPI document resolves to an existing component", async () => {
  const server = await startTestServer();
  try {
    const doc = await (await server.fetch("/openapi.json")).json();
    const refs = collectRefs(doc);
    assert.ok(refs.length > 0, "the document uses $ref, or this test checks nothing");
    for (const [where, ref] of refs) {
      assert.match(ref, /^#\/components\/schemas\/[^/]+$/, `${where}: ${ref}`);
      const target = resolvePointer(doc, ref);
      assert.ok(target && typeof target === "object", `${where}: $ref ${ref} does not resolve`);
    }
    // The manifest routes point at the shared schemas rather than inlining copies.
    const post = doc.paths["/api/manifests"].post;
    assert.equal(
      post.requestBody.content["application/json"].schema.$ref,
      "#/components/schemas/ManifestCreate",
    );
    assert.equal(
      post.responses["201"].content["application/json"].schema.$ref,
      "#/components/schemas/Manifest",
    );
    assert.equal(
      post.responses["422"].content["application/json"].schema.$ref,
      "#/components/schemas/Error",
    );
  } finally {
    await server.close();
  }
});

Deno.test("every {id} route documents its path parameter", () => {
  const doc = buildOpenApi({ authRequired: false }) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path");
      const expected = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      assert.deepEqual(pathParams.map((p) => p.name), expected, `${method} ${path}`);
    }
  }
});

Deno.test("with AUTH_TOKEN set, /api operations require the bearer scheme and probes do not", () => {
  const doc = buildOpenApi({ authRequired: true }) as {
    paths: Record<string, Record<string, { security?: unknown }>>;
    components: { securitySchemes?: Record<string, { type: string; scheme: string }> };
  };
  assert.deepEqual(doc.components.securitySchemes?.bearer, { type: "http", scheme: "bearer" });
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (path.startsWith("/api/")) {
        assert.deepEqual(operation.security, [{ bearer: [] }], `${method} ${path}`);
      } else assert.equal(operation.security, undefined, `${method} ${path}`);
    }
  }
});

Deno.test("request schemas require only what a client must send; no $id in components", () => {
  const doc = buildOpenApi({ authRequired: false }) as {
    components: { schemas: Record<string, { required?: string[]; $id?: string }> };
  };
  const { schemas } = doc.components;
  assert.deepEqual(schemas.ManifestCreate.required, ["name"]);
  assert.deepEqual(schemas.AssetCreate.required, ["name"]);
  assert.ok(schemas.Manifest.required?.includes("status"));
  for (const [id, schema] of Object.entries(schemas)) assert.equal(schema.$id, undefined, id);
});
