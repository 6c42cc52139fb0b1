import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { startTestServer, type TestServer } from "../../tests/_harness.ts";
import config from "../../deno.json" with { type: "json" };

type Json = Record<string, unknown>;

/** The parts of an operation these tests look at. */
interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

/** An OpenAPI document as these tests read it. */
interface Document {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Json & { required?: string[]; properties?: Record<string, Json> }>;
    securitySchemes: Record<string, Json>;
  };
}

async function fetchDocument(server: TestServer): Promise<Document> {
  const response = await server.fetch("/openapi.json");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  return await response.json();
}

/** `[METHOD, path, operation]` for every operation of the document. */
function operations(doc: Document): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]): [string, string, Operation] => [
      method.toUpperCase(),
      path,
      op,
    ])
  );
}

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

const ERROR_REF = "#/components/schemas/Error";

/** Redocly warnings the document keeps, each for a reason it cannot fix. */
const ACCEPTED_WARNINGS = new Set([
  // The repository has no licence for the document to name.
  "info-license #/info",
  // Probes and the document itself have no client error to answer.
  "operation-4xx-response #/paths/~1healthz/get/responses",
  "operation-4xx-response #/paths/~1readyz/get/responses",
  "operation-4xx-response #/paths/~1openapi.json/get/responses",
  // A WebSocket handshake succeeds with 101, never 2xx.
  "operation-2xx-response #/paths/~1ws/get/responses",
]);

Deno.test("/openapi.json describes exactly the app's routes, as a valid OpenAPI 3.1 document", async (t) => {
  const server = await startTestServer();
  try {
    const doc = await fetchDocument(server);

    await t.step("every route the app serves is documented, and nothing else", () => {
      const served = appRoutes(server.app.routes);
      // Sanity: the conversion found the routes with ids, so an empty diff means something.
      assert.ok(served.has("GET /api/manifests/{id}"), [...served].join("\n"));
      assert.ok(served.has("GET /healthz"));
      const documented = new Set(operations(doc).map(([method, path]) => `${method} ${path}`));
      assert.deepEqual([...served].filter((key) => !documented.has(key)), [], "undocumented");
      assert.deepEqual([...documented].filter((key) => !served.has(key)), [], "phantom");
    });

    await t.step("3.1, with info, a server, the core schemas and the dashboard's lists", () => {
      assert.equal(doc.openapi, "3.1.0");
      assert.equal(typeof doc.info.title, "string");
      assert.equal(typeof doc.info.version, "string");
      assert.ok(doc.servers && doc.servers.length > 0, "servers is not empty");
      const { schemas } = doc.components;
      for (const name of ["Manifest", "Asset", "ManifestCreate", "Error", "BatchUpload"]) {
        assert.ok(schemas[name], `components.schemas.${name} is missing`);
      }
      assert.equal(schemas.Error.type, "object");
      assert.ok(schemas.Error.properties?.error, "Error has an `error` property");
      // static/js/vocabulary.js reads these two lists from the document.
      assert.ok((schemas.Asset.properties?.asset_type.enum as string[]).includes("CHARACTER"));
      assert.ok((schemas.Manifest.properties?.category.enum as string[]).includes("CUSTOM"));
    });

    await t.step("every operation has a unique camelCase operationId", () => {
      const ids = operations(doc).map(([method, path, op]) => {
        assert.match(op.operationId ?? "", /^[a-z][a-zA-Z0-9]+$/, `${method} ${path}`);
        return op.operationId;
      });
      assert.equal(new Set(ids).size, ids.length, "an operationId is used twice");
    });

    await t.step("every $ref resolves, and shared schemas are referenced, not copied", () => {
      const refs = collectRefs(doc);
      assert.ok(refs.length > 0, "the document uses $ref, or this step checks nothing");
      for (const [where, ref] of refs) {
        assert.match(ref, /^#\/components\/schemas\/[^/]+$/, `${where}: ${ref}`);
        const target = resolvePointer(doc, ref);
        assert.ok(target && typeof target === "object", `${where}: $ref ${ref} does not resolve`);
      }
      const post = doc.paths["/api/manifests"].post;
      const schemaOf = (entry?: { content?: Record<string, { schema: Json }> }) =>
        entry?.content?.["application/json"].schema.$ref;
      assert.equal(schemaOf(post.requestBody), "#/components/schemas/ManifestCreate");
      assert.equal(schemaOf(post.responses["201"]), "#/components/schemas/Manifest");
      assert.equal(schemaOf(post.responses["422"]), ERROR_REF);
    });

    await t.step("every path parameter is documented and required", () => {
      for (const [method, path, op] of operations(doc)) {
        const params = (op.parameters ?? []).filter((p) => p.in === "path");
        const expected = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        assert.deepEqual(params.map((p) => p.name), expected, `${method} ${path}`);
        assert.ok(params.every((p) => p.required), `${method} ${path}`);
      }
    });

    await t.step("each error an operation can answer is listed, with the Error schema", () => {
      for (const [method, path, op] of operations(doc)) {
        const where = `${method} ${path}`;
        const statuses = Object.keys(op.responses);
        const expected: string[] = [];
        if (path.startsWith("/api/")) expected.push("401");
        if (path.includes("{id}")) expected.push("404");
        if (op.requestBody) expected.push("400", "413", "415", "422");
        if (op.parameters?.some((p) => p.in === "query")) expected.push("422");
        for (const status of expected) assert.ok(statuses.includes(status), `${where}: ${status}`);
        for (const [status, response] of Object.entries(op.responses)) {
          // /readyz answers 503 with its own report, which says what is not ready.
          if (Number(status) < 400 || path === "/readyz") continue;
          const schema = response.content?.["application/json"]?.schema;
          assert.equal(schema?.$ref, ERROR_REF, `${where} ${status}`);
        }
      }
    });

    await t.step("uploads are multipart bodies with binary file parts", () => {
      const { schemas } = doc.components;
      for (
        const [path, component] of [
          ["/api/manifests/{id}/uploads", "BatchUpload"],
          ["/api/assets/{id}/upload", "SingleUpload"],
        ]
      ) {
        const body = doc.paths[path].post.requestBody;
        assert.equal(body?.required, true, path);
        assert.deepEqual(Object.keys(body?.content ?? {}), ["multipart/form-data"], path);
        const schema = body!.content["multipart/form-data"].schema;
        assert.equal(schema.$ref, `#/components/schemas/${component}`, path);
        assert.deepEqual(schemas[component].required, ["file"], component);
      }
      const batch = schemas.BatchUpload.properties!;
      assert.deepEqual(batch.file.items, { type: "string", format: "binary" });
      assert.equal(batch.file.type, "array", "file parts repeat");
      assert.equal(batch.asset_type.type, "array", "one asset_type per file");
      assert.equal(batch.name.type, "array", "one name per file");
      const single = schemas.SingleUpload.properties!;
      assert.equal(single.file.type, "string");
      assert.equal(single.file.format, "binary");
    });

    await t.step("request schemas require only what a client must send; no $id", () => {
      const { schemas } = doc.components;
      assert.deepEqual(schemas.ManifestCreate.required, ["name"]);
      assert.deepEqual(schemas.AssetCreate.required, ["name"]);
      assert.ok(schemas.Manifest.required?.includes("status"));
      for (const [id, schema] of Object.entries(schemas)) assert.equal(schema.$id, undefined, id);
    });

    await t.step("without AUTH_TOKEN the bearer token is an optional alternative", () => {
      assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
        type: "http",
        scheme: "bearer",
        description: doc.components.securitySchemes.bearerAuth.description,
      });
      assert.match(String(doc.components.securitySchemes.bearerAuth.description), /AUTH_TOKEN/);
      assert.deepEqual(doc.security, [{}, { bearerAuth: [] }, { tokenQuery: [] }]);
      for (const path of ["/healthz", "/readyz", "/openapi.json"]) {
        assert.deepEqual(doc.paths[path].get.security, [], path);
      }
    });

    await t.step("swagger-parser validates it", async () => {
      await SwaggerParser.validate(structuredClone(doc) as never);
    });

    await t.step("Redocly's recommended rules find no error and no new warning", async () => {
      const report = await redoclyLint(doc);
      const problems = report.problems.map((p) =>
        `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`
      );
      assert.equal(report.totals.errors, 0, problems.join("\n"));
      const unexpected = report.problems.filter((p) =>
        !ACCEPTED_WARNINGS.has(`${p.ruleId} ${p.location[0]?.pointer}`)
      );
      assert.deepEqual(unexpected, [], problems.join("\n"));
    });
  } finally {
    await server.close();
  }
});

Deno.test("with AUTH_TOKEN set, /api operations require the token and probes do not", async () => {
  const server = await startTestServer({ AUTH_TOKEN: "openapi-test-token" });
  try {
    // The document itself needs no token.
    const doc = await fetchDocument(server);
    assert.deepEqual(doc.security, [{ bearerAuth: [] }, { tokenQuery: [] }]);
    for (const [method, path, op] of operations(doc)) {
      const effective: Operation["security"] = op.security ?? doc.security;
      if (path.startsWith("/api/")) {
        assert.equal(op.security, undefined, `${method} ${path} inherits the document's`);
        assert.ok(effective?.every((alternative) => Object.keys(alternative).length > 0));
      } else if (path === "/ws") {
        // The socket may authenticate with its first message instead.
        assert.deepEqual(effective?.[0], {}, path);
      } else assert.deepEqual(effective, [], `${method} ${path}`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("a JSON operation refuses another media type with 415 in the API's error shape", async () => {
  const server = await startTestServer();
  try {
    const response = await server.fetch("/api/manifests", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ name: "Plain" }),
    });
    assert.equal(response.status, 415);
    const body = await response.json();
    assert.equal(body.error.code, "unsupported_media_type");
    assert.match(body.error.message, /application\/json/);
    assert.equal(server.countRows("manifests"), 0);
  } finally {
    await server.close();
  }
});

/** What `redocly lint --format=json` reports. */
interface LintReport {
  totals: { errors: number; warnings: number };
  problems: {
    ruleId: string;
    severity: string;
    message: string;
    location: { pointer: string }[];
  }[];
}

/**
 * Lints `doc` with the Redocly CLI pinned in deno.json, run by Deno from the local cache
 * (`--cached-only`) and without network access, telemetry or update checks.
 */
async function redoclyLint(doc: unknown): Promise<LintReport> {
  const dir = await Deno.makeTempDir({ prefix: "openapi-lint-" });
  try {
    const file = `${dir}/openapi.json`;
    await Deno.writeTextFile(file, JSON.stringify(doc));
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--cached-only",
        "--no-prompt",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        config.imports["@redocly/cli"],
        "lint",
        "--extends=recommended",
        "--format=json",
        file,
      ],
      cwd: new URL("../..", import.meta.url),
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    // The exit code is 1 when there are errors; the report is on stdout either way.
    assert.ok(out.trim().startsWith("{"), `redocly ${code}: ${new TextDecoder().decode(stderr)}`);
    return JSON.parse(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
