/**
 * Bundles: a manifest exported as one ZIP, and a ZIP imported as a new manifest.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import { BundleImportForm, IdParam, Manifest } from "../schemas.ts";
import {
  errors,
  failure,
  json,
  multipartBody,
  type RouteGroup,
  routeGroup,
  zipDownload,
} from "../openapi.ts";
import { readForm } from "../multipart.ts";
import { invalid } from "../../errors.ts";
import type { RegistryDeps } from "../../registry/deps.ts";
import { manifestToJson } from "../../registry/serialize.ts";
import { prepareExport } from "../../bundles/export.ts";
import { importBundle } from "../../bundles/import.ts";
import type { BundleLimits } from "../../bundles/limits.ts";

/** What the bundle routes need. */
export interface BundleRouteDeps extends RegistryDeps {
  readonly limits: BundleLimits;
}

const exportBundle = createRoute({
  method: "get",
  path: "/manifests/{id}/export",
  operationId: "exportManifest",
  tags: ["manifests"],
  summary: "Download the manifest as a bundle (ZIP)",
  description:
    "`manifest.json` (format `manifest-studio-bundle`, version 1), `images/<TAG>.<ext>`, " +
    "`contact-sheet/page-001.jpg`, `registry.txt` and `README.txt`, streamed as it is written.",
  request: { params: IdParam },
  responses: {
    200: zipDownload("The bundle"),
    ...errors(401, 404),
    409: failure("The manifest is PROCESSING: wait for the job, or cancel it"),
  },
});

const importManifest = createRoute({
  method: "post",
  path: "/manifests/import",
  operationId: "importManifest",
  tags: ["manifests"],
  summary: "Create a manifest from a bundle",
  description: "Everything is checked before anything is stored; a refused bundle leaves no " +
    "row and no file behind. The new manifest keeps the bundle's tags, prompts, boxes, " +
    "parent links and identities, and its tag counters continue after the imported tags.",
  request: {
    body: multipartBody("BundleImport", "One `file` part: the bundle", "application/zip"),
  },
  responses: {
    201: json(Manifest, "The new manifest"),
    400: failure("Malformed multipart, a damaged ZIP, or an entry name with `..`, `\\` or a root"),
    ...errors(401),
    413: failure("Over MAX_UPLOAD_MB, or unpacking to more than 4 × MAX_UPLOAD_MB or 200:1"),
    415: failure("Not multipart, not a ZIP, or an image in a format the service does not store"),
    422: failure(
      "manifest.json missing, not JSON, of a newer version or inconsistent; an image missing, " +
        "damaged or not the one named",
    ),
  },
});

/** `GET /manifests/{id}/export` and `POST /manifests/import`. */
export function bundleRoutes(deps: BundleRouteDeps): RouteGroup {
  const app = routeGroup();
  // The multipart body is read by hand, so its schema is not reached through a route.
  app.openAPIRegistry.register("BundleImport", BundleImportForm);

  app.openapi(exportBundle, async (c) => {
    const bundle = await prepareExport(deps, c.req.valid("param").id);
    return c.body(bundle.stream(), 200, {
      "content-type": "application/zip",
      "content-disposition": attachment(bundle.filename, `${bundle.manifestName}-bundle.zip`),
      "cache-control": "no-store",
    });
  });

  app.openapi(importManifest, async (c) => {
    const parts = (await readForm(c)).getAll("file");
    if (parts.length !== 1 || !(parts[0] instanceof File)) {
      throw invalid(
        "one_file_expected",
        "Attach exactly one bundle (a ZIP) in a multipart field named `file`.",
        { files: parts.length },
      );
    }
    const bytes = new Uint8Array(await parts[0].arrayBuffer());
    const row = await importBundle(deps, bytes, deps.limits);
    return c.json(manifestToJson(row), 201);
  });

  return app;
}

/** `attachment` with an ASCII name every client reads, and the real one for those that can. */
function attachment(ascii: string, utf8: string): string {
  // deno-lint-ignore no-control-regex
  const clean = utf8.replace(/[\u0000-\u001f\u007f/\\]/g, "-");
  const encoded = encodeURIComponent(clean)
    .replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
