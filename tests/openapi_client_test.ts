/**
 * The OpenAPI document is good enough to build a client on: TypeScript types generated from
 * the served `/openapi.json` by `openapi-typescript` type-check a small `openapi-fetch`
 * client, and that client drives a real server (real models) through a manifest's life —
 * create, upload photos, process, follow progress, read the registry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { startTestServer } from "./_harness.ts";
import { fixturePhoto } from "./fixtures/photos.ts";

/** The photos the client uploads. */
const PHOTOS = ["sample1.jpg", "sample2.jpg"];

/**
 * The client a user of the API would write, beside the generated `api.ts`. It runs against
 * the test server once it type-checks; `refusedByTheTypes` is never run, it proves the types
 * are not too loose to catch a mistake.
 */
const CLIENT = `
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./api.ts";

type Schemas = components["schemas"];

/** What the client saw, for the test to check. */
export interface FlowResult {
  manifest: Schemas["Manifest"];
  uploaded: Schemas["Asset"][];
  started: Schemas["ProcessStarted"];
  progress: Schemas["Progress"];
  detail: Schemas["ManifestDetail"];
  registry: string;
  missing: Schemas["Error"];
}

function ok<T>(reply: { data?: T; error?: unknown }, operation: string): T {
  if (reply.data === undefined) throw new Error(operation + ": " + JSON.stringify(reply.error));
  return reply.data;
}

export async function runFlow(baseUrl: string, photos: readonly File[]): Promise<FlowResult> {
  const client = createClient<paths>({ baseUrl });
  const manifest = ok(
    await client.POST("/api/manifests", { body: { name: "Typed client", category: "CHARACTERS" } }),
    "createManifest",
  );
  const path = { id: manifest.id };
  const uploaded = ok(
    await client.POST("/api/manifests/{id}/uploads", {
      params: { path },
      body: { file: [...photos], asset_type: photos.map(() => "CHARACTER" as const) },
      bodySerializer(body) {
        const form = new FormData();
        for (const file of body.file) {
          form.append("file", file, file instanceof File ? file.name : "photo.jpg");
        }
        for (const type of body.asset_type ?? []) form.append("asset_type", type);
        return form;
      },
    }),
    "uploadAssets",
  ).items;
  const started = ok(
    await client.POST("/api/manifests/{id}/process", { params: { path } }),
    "startProcessing",
  );
  const deadline = Date.now() + 120_000;
  let progress: Schemas["Progress"];
  do {
    if (Date.now() > deadline) throw new Error("processing did not end in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
    progress = ok(
      await client.GET("/api/manifests/{id}/progress", { params: { path } }),
      "getManifestProgress",
    );
  } while (progress.status === "queued" || progress.status === "processing");
  const detail = ok(await client.GET("/api/manifests/{id}", { params: { path } }), "getManifest");
  const registry = ok(
    await client.GET("/api/manifests/{id}/registry", { params: { path }, parseAs: "text" }),
    "getManifestRegistry",
  );
  const unknown = await client.GET("/api/manifests/{id}", {
    params: { path: { id: crypto.randomUUID() } },
  });
  if (unknown.error === undefined) throw new Error("an unknown manifest was found");
  return { manifest, uploaded, started, progress, detail, registry, missing: unknown.error };
}

export function refusedByTheTypes(client: Client<paths>): void {
  // @ts-expect-error a manifest needs a name
  client.POST("/api/manifests", { body: {} });
  // @ts-expect-error there is no such category
  client.POST("/api/manifests", { body: { name: "x", category: "NOPE" } });
  // @ts-expect-error the path needs its id
  client.GET("/api/manifests/{id}", {});
  // @ts-expect-error thumbnails come in a few sizes only
  client.GET("/api/assets/{id}/thumbnail", { params: { path: { id: "x" }, query: { size: 100 } } });
  // @ts-expect-error there is no such route
  client.GET("/api/nowhere");
}
`;

/** Binary fields (file parts, images) as `Blob`, what `fetch` and `FormData` deal in. */
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));

Deno.test("a client generated from /openapi.json type-checks and drives a real server", async (t) => {
  const server = await startTestServer();
  const dir = await Deno.makeTempDir({ prefix: "openapi-client-" });
  try {
    const doc = await (await server.fetch("/openapi.json")).json();

    await t.step("openapi-typescript turns the document into types", async () => {
      const ast = await openapiTS(doc, {
        transform: (schema) => schema.format === "binary" ? BLOB : undefined,
        // A default is what the server fills in for a field a client leaves out: request
        // fields with one stay optional (the generator's default makes them required).
        defaultNonNullable: false,
      });
      const types = astToString(ast);
      assert.match(types, /export interface paths/);
      assert.match(types, /createManifest: \{/);
      await Deno.writeTextFile(`${dir}/api.ts`, types);
      await Deno.writeTextFile(`${dir}/client.ts`, CLIENT);
    });

    await t.step("the client type-checks against them", async () => {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "check",
          "--cached-only",
          "--frozen",
          "--config",
          new URL("../deno.json", import.meta.url).pathname,
          `${dir}/client.ts`,
        ],
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
    });

    await t.step("the client manifests two photos and reads the registry", async () => {
      const { runFlow } = await import(pathToFileURL(`${dir}/client.ts`).href);
      const photos = await Promise.all(
        PHOTOS.map(async (name) =>
          new File([await fixturePhoto(name) as Uint8Array<ArrayBuffer>], name, {
            type: "image/jpeg",
          })
        ),
      );
      const result = await runFlow(server.url, photos);
      assert.equal(result.manifest.status, "DRAFT");
      assert.deepEqual(
        result.uploaded.map((asset: { name: string }) => asset.name),
        ["sample1", "sample2"],
      );
      assert.equal(result.started.status, "started");
      assert.equal(result.progress.status, "complete", JSON.stringify(result.progress));
      assert.equal(result.detail.status, "READY");
      const tags: string[] = result.detail.assets
        .map((asset: { manifest_tag: string | null }) => asset.manifest_tag)
        .filter(Boolean);
      assert.ok(tags.length >= PHOTOS.length, `tags: ${tags}`);
      assert.match(result.registry, /^MANIFEST REGISTRY: "Typed client"/);
      for (const tag of tags.filter((tag) => tag.startsWith("CHAR"))) {
        assert.ok(result.registry.includes(tag), `the registry names ${tag}`);
      }
      assert.equal(result.missing.error.code, "manifest_not_found");
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
