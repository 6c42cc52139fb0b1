/**
 * Acceptance: a bad bundle is refused with a 4xx JSON error a person can act on, and leaves
 * nothing behind — no row in any table an import writes, no file in the blob store.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./_harness.ts";
import { type AnyFrame, manifestWithPhotos } from "./_pipeline.ts";
import { exportBundle, importBundle, stock, unzip, zip, type ZipEntry } from "./_bundles.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { importBundle as runImport } from "../src/bundles/import.ts";
import { bundleLimits } from "../src/bundles/limits.ts";
import { contentKey } from "../src/storage/blob_store.ts";

/** `count` bytes of "0" and "1": deflate packs them about 8:1, under any bomb ratio. */
function lowEntropy(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let at = 0; at < count; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(count, at + 65536)));
  }
  return bytes.map((b) => 0x30 | (b & 1));
}

/** `count` random bytes: deflate cannot pack them at all. */
function noise(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  for (let at = 0; at < count; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(count, at + 65536)));
  }
  return bytes;
}

/** Replaces every occurrence of `from` by `to` (same length) in a copy of `bytes`. */
function patch(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const [a, b] = [new TextEncoder().encode(from), new TextEncoder().encode(to)];
  assert.equal(a.length, b.length);
  const out = bytes.slice();
  let found = 0;
  for (let i = 0; i + a.length <= out.length; i++) {
    if (a.every((byte, k) => out[i + k] === byte)) {
      out.set(b, i);
      found++;
    }
  }
  assert.ok(found > 0, `${from} is in the archive`);
  return out;
}

/**
 * A ZIP whose `name` entry declares `declared` unpacked bytes but inflates to far more: the
 * size fields of its local header, data descriptor and central directory record are rewritten.
 */
async function lyingEntry(
  name: string,
  content: Uint8Array,
  declared: number,
): Promise<Uint8Array> {
  const bytes = await zip([[name, content, { level: 6 }]]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let patched = 0;
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50 && view.getUint32(i + 22, true) === content.length) {
      view.setUint32(i + 22, declared, true);
      patched++;
    } else if (signature === 0x08074b50 && view.getUint32(i + 12, true) === content.length) {
      view.setUint32(i + 12, declared, true);
      patched++;
    } else if (signature === 0x02014b50 && view.getUint32(i + 24, true) === content.length) {
      view.setUint32(i + 24, declared, true);
      patched++;
    }
  }
  assert.ok(patched >= 2, "the central directory and a local size were rewritten");
  return bytes;
}

interface Case {
  readonly name: string;
  readonly status: number | readonly number[];
  readonly code: string | readonly string[];
  /** The body to post; by default a `file` part holding `bundle()`. */
  readonly bundle?: () => Promise<Uint8Array>;
  readonly request?: () => RequestInit;
  readonly message?: RegExp;
}

Deno.test("bad bundles are refused with 4xx JSON errors and leave no row and no file", async (t) => {
  // 2 MB uploads: a bundle may unpack to 8 MB.
  const server = await startTestServer({ MAX_UPLOAD_MB: "2" });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample1.jpg", "sample2.jpg"]);
    const base = await unzip(await exportBundle(server, manifestId));
    const document = JSON.parse(new TextDecoder().decode(base.get("manifest.json")));
    assert.equal(document.assets.length, 2);

    /** The base bundle with its document changed by `edit` and its files by `files`. */
    const variant = (
      edit: (doc: AnyFrame) => void = () => {},
      files: (entries: Map<string, Uint8Array | string>) => void = () => {},
    ) =>
    async () => {
      const doc = structuredClone(document);
      edit(doc);
      const entries = new Map<string, Uint8Array | string>(base);
      entries.set("manifest.json", JSON.stringify(doc));
      files(entries);
      return await zip([...entries].map(([name, bytes]): ZipEntry => [name, bytes]));
    };
    const jpeg = await fixturePhoto("sample3.jpg");

    const cases: Case[] = [
      { name: "not a ZIP", status: 415, code: "not_a_zip", bundle: () => Promise.resolve(jpeg) },
      {
        name: "a ZIP cut off half-way",
        status: 400,
        code: "corrupt_bundle",
        bundle: async () => (await variant()()).slice(0, 100_000),
      },
      {
        name: "an entry name climbing out with ..",
        status: 400,
        code: "unsafe_entry_name",
        message: /\.\./,
        bundle: async () =>
          patch(await variant(undefined, (f) => f.set("xx/evil.txt", "x"))(), "xx/evil", "../evil"),
      },
      {
        name: "an absolute entry name",
        status: 400,
        code: "unsafe_entry_name",
        message: /absolute/,
        bundle: async () =>
          patch(await variant(undefined, (f) => f.set("xetc/passwd", "x"))(), "xetc/", "/etc/"),
      },
      {
        name: "a backslash in an entry name",
        status: 400,
        code: "unsafe_entry_name",
        message: /backslash/,
        bundle: variant(undefined, (f) => f.set("images\\CHAR_09.jpg", jpeg)),
      },
      {
        name: "an entry that unpacks over 200:1 (a ZIP bomb)",
        status: 413,
        code: "suspicious_compression",
        bundle: async () => {
          const doc = await variant()();
          const entries = await unzip(doc);
          return await zip([
            ...[...entries].map(([name, bytes]): ZipEntry => [name, bytes]),
            ["padding.bin", new Uint8Array(4 * 1024 * 1024), { level: 6 }],
          ]);
        },
      },
      {
        name: "manifest.json that inflates to more than its header declares",
        status: [400, 413],
        code: ["corrupt_bundle", "suspicious_compression", "bundle_too_large"],
        bundle: () => lyingEntry("manifest.json", new Uint8Array(4 * 1024 * 1024).fill(32), 2048),
      },
      {
        name: "entries that unpack to more than 4 × MAX_UPLOAD_MB together",
        status: 413,
        code: "bundle_too_large",
        bundle: () =>
          zip(
            Array.from({ length: 5 }, (_, i): ZipEntry => [
              `padding-${i}.txt`,
              lowEntropy(1_800_000),
              { level: 6 },
            ]),
          ),
      },
      {
        name: "a body over MAX_UPLOAD_MB",
        status: 413,
        code: "payload_too_large",
        bundle: () => zip([["noise.bin", noise(2_200_000)]]),
      },
      {
        name: "an encrypted entry",
        status: 400,
        code: "encrypted_entry",
        bundle: () => zip([["manifest.json", JSON.stringify(document), { password: "secret" }]]),
      },
      {
        name: "a ZIP without manifest.json",
        status: 422,
        code: "missing_bundle_manifest",
        bundle: variant(undefined, (f) => f.delete("manifest.json")),
      },
      {
        name: "an empty ZIP",
        status: 422,
        code: "missing_bundle_manifest",
        bundle: () => zip([]),
      },
      {
        name: "manifest.json that is not JSON",
        status: 422,
        code: "malformed_bundle_manifest",
        bundle: variant(undefined, (f) => f.set("manifest.json", '{ "format": ')),
      },
      {
        name: "another format",
        status: 422,
        code: "not_a_bundle",
        bundle: variant((doc) => doc.format = "something-else"),
      },
      {
        name: "a newer format version",
        status: 422,
        code: "bundle_version_unsupported",
        message: /version 2.*reads version 1/,
        bundle: variant((doc) => doc.version = 2),
      },
      {
        name: "a schema violation",
        status: 422,
        code: "invalid_bundle_manifest",
        message: /assets\.0\.type/,
        bundle: variant((doc) => doc.assets[0].type = "DRAGON"),
      },
      {
        name: "an image the document names but the ZIP lacks",
        status: 422,
        code: "missing_image",
        message: /images\/CHAR_02\.jpg/,
        bundle: variant(undefined, (f) => f.delete("images/CHAR_02.jpg")),
      },
      {
        name: "an image that does not decode",
        status: 422,
        code: "corrupt_image",
        message: /images\/CHAR_02\.jpg \(CHAR_02\)/,
        bundle: variant(undefined, (f) => f.set("images/CHAR_02.jpg", jpeg.slice(0, 4000))),
      },
      {
        name: "an image in a format the service does not store",
        status: 415,
        code: "unsupported_image_format",
        bundle: variant(undefined, (f) => f.set("images/CHAR_02.jpg", "GIF89a\x01\x00\x01\x00")),
      },
      {
        name: "an image that is not the one the document names",
        status: 422,
        code: "image_checksum_mismatch",
        bundle: variant(undefined, (f) => f.set("images/CHAR_02.jpg", jpeg)),
      },
      {
        name: "two assets with one tag",
        status: 422,
        code: "duplicate_tag",
        bundle: variant((doc) => {
          doc.assets[1].tag = "CHAR_01";
          doc.assets[1].ref = "CHAR_01";
        }),
      },
      {
        name: "a crop whose parent tag does not exist",
        status: 422,
        code: "unknown_parent",
        message: /CHAR_09/,
        bundle: variant((doc) => {
          Object.assign(doc.assets[1], {
            source: "extracted",
            parent: "CHAR_09",
            extraction_role: "person",
            image: { ...doc.assets[1].image, upload_sha256: null },
          });
        }),
      },
      {
        name: "a tag whose prefix is not its type's",
        status: 422,
        code: "tag_prefix_mismatch",
        bundle: variant((doc) => doc.assets[0].type = "OBJECT"),
      },
      {
        name: "an identity whose member is not in the bundle",
        status: 422,
        code: "unknown_identity_member",
        bundle: variant((doc) => {
          doc.identities.push({
            id: "identity-1",
            name: null,
            primary: "CHAR_01",
            members: ["CHAR_01", "CHAR_07"],
            locked: true,
          });
          doc.assets[0].identity = "identity-1";
        }),
      },
      {
        name: "an asset flagged as a face that is no face crop",
        status: 422,
        code: "inconsistent_source",
        bundle: variant((doc) => doc.assets[0].is_face_crop = true),
      },
      {
        name: "a JSON body instead of multipart",
        status: 415,
        code: "multipart_required",
        request: () => ({
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(document),
        }),
      },
      {
        name: "two files",
        status: 422,
        code: "one_file_expected",
        request: () => {
          const form = new FormData();
          form.append("file", new File(["a"], "a.zip"));
          form.append("file", new File(["b"], "b.zip"));
          return { method: "POST", body: form };
        },
      },
    ];

    await t.step(
      "/openapi.json describes both operations: a ZIP out, a multipart ZIP in",
      async () => {
        const doc = await (await server.fetch("/openapi.json")).json();
        const out = doc.paths["/api/manifests/{id}/export"].get;
        assert.equal(out.operationId, "exportManifest");
        assert.deepEqual(out.responses["200"].content["application/zip"].schema, {
          type: "string",
          format: "binary",
        });
        assert.ok(out.responses["200"].headers["Content-Disposition"]);
        const into = doc.paths["/api/manifests/import"].post;
        assert.equal(into.operationId, "importManifest");
        const body = into.requestBody.content["multipart/form-data"];
        assert.equal(body.schema.$ref, "#/components/schemas/BundleImport");
        assert.equal(body.encoding.file.contentType, "application/zip");
        assert.deepEqual(doc.components.schemas.BundleImport.required, ["file"]);
        assert.equal(
          into.responses["201"].content["application/json"].schema.$ref,
          "#/components/schemas/Manifest",
        );
        for (const status of ["400", "401", "413", "415", "422"]) {
          assert.equal(
            into.responses[status].content["application/json"].schema.$ref,
            "#/components/schemas/Error",
            status,
          );
        }
      },
    );

    const before = await stock(server);
    for (const item of cases) {
      await t.step(`${item.name}: ${item.status} ${item.code}`, async () => {
        const reply = item.request
          ? await post(server, item.request())
          : await importBundle(server, await item.bundle!());
        const statuses = [item.status].flat();
        const codes = [item.code].flat();
        assert.ok(statuses.includes(reply.status), `${reply.status} ${JSON.stringify(reply.body)}`);
        assert.ok(codes.includes(reply.body?.error?.code), JSON.stringify(reply.body));
        assert.equal(typeof reply.body.error.message, "string");
        if (item.message) assert.match(reply.body.error.message, item.message);
        assert.deepEqual(await stock(server), before, "no row and no file left behind");
      });
    }

    await t.step("rows that fail to be written take the new blobs with them", async () => {
      // New bytes (not stored yet) for CHAR_02 and a contact sheet: both are written first.
      const photo = await fixturePhoto("sample4.jpg");
      const photoSha = await sha256Hex(photo);
      const bundle = await variant((doc) => {
        doc.assets[1].image.sha256 = photoSha;
        doc.assets[1].image.upload_sha256 = null;
        doc.manifest.contact_sheet_pages = ["contact-sheet/page-001.jpg"];
      }, (files) => {
        files.set("images/CHAR_02.jpg", photo);
        files.set("contact-sheet/page-001.jpg", jpeg);
      })();
      const { db } = server.services;
      // The database as the import sees it, except that its transaction fails.
      const failing = new Proxy(db, {
        get(target, key) {
          if (key === "transaction") {
            return () => ({ execute: () => Promise.reject(new Error("disk full")) });
          }
          const value = Reflect.get(target, key);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const { blobs } = server.services;
      const written: string[] = [];
      const recording = {
        put: (key: string, bytes: Uint8Array) => (written.push(key), blobs.put(key, bytes)),
        get: (key: string) => blobs.get(key),
        stream: (key: string) => blobs.stream(key),
        has: (key: string) => blobs.has(key),
        delete: (key: string) => blobs.delete(key),
        kind: blobs.kind,
        check: () => blobs.check(),
      };
      await assert.rejects(
        runImport(
          { ...server.services, db: failing, blobs: recording },
          bundle,
          bundleLimits(2 * 1024 * 1024),
        ),
        /disk full/,
      );
      // They were written, and removed again.
      assert.ok(written.includes(contentKey(photoSha)), written.join(", "));
      assert.ok(written.some((key) => key.startsWith("sheets/")), written.join(", "));
      assert.deepEqual(await stock(server), before, "no row and no file left behind");
    });

    await t.step(
      "the unchanged bundle, and one with crops of crops and an identity, import",
      async () => {
        assert.equal((await importBundle(server, await variant()())).status, 201);
        const crafted = await importBundle(
          server,
          await variant((doc) => {
            const [upload, other] = doc.assets;
            const crop = (fields: AnyFrame) => ({
              ...other,
              source: "extracted",
              extraction_role: "person",
              is_face_crop: false,
              identity: "identity-1",
              image: { ...other.image, upload_sha256: null },
              ...fields,
            });
            // Listed before its parent, and without a tag: the import orders and keeps it.
            const face = crop({
              ref: "untagged-1",
              tag: null,
              name: "Face in sample1",
              parent: "CHAR_03",
              extraction_role: "face",
              is_face_crop: true,
              image: { ...other.image, file: "images/untagged-1.jpg", upload_sha256: null },
            });
            const person = crop({
              ref: "CHAR_03",
              tag: "CHAR_03",
              parent: upload.ref,
              image: { ...other.image, file: "images/CHAR_03.jpg", upload_sha256: null },
            });
            doc.assets = [upload, face, person];
            doc.identities = [{
              id: "identity-1",
              name: "Lead",
              primary: "untagged-1",
              members: ["untagged-1", "CHAR_03"],
              locked: true,
            }];
            doc.manifest.tag_counters = { CHAR: 7 };
          }, (files) => {
            files.set("images/CHAR_03.jpg", files.get("images/CHAR_02.jpg")!);
            files.set("images/untagged-1.jpg", files.get("images/CHAR_02.jpg")!);
            files.delete("images/CHAR_02.jpg");
          })(),
        );
        assert.equal(crafted.status, 201, JSON.stringify(crafted.body));
        const detail = (await server.json("GET", `/api/manifests/${crafted.body.id}`)).body;
        const byTag = new Map(detail.assets.map((a: AnyFrame) => [a.manifest_tag, a]));
        const face = detail.assets.find((a: AnyFrame) => a.manifest_tag === null);
        const person = byTag.get("CHAR_03") as AnyFrame;
        assert.equal(face.source_asset_id, person.id);
        assert.equal(person.source_asset_id, (byTag.get("CHAR_01") as AnyFrame).id);
        assert.equal(detail.identities.length, 1);
        const [identity] = detail.identities;
        assert.deepEqual([identity.name, identity.locked, identity.member_count], [
          "Lead",
          true,
          2,
        ]);
        assert.equal(identity.primary_asset_id, face.id);
        // The source's counter was ahead of its tags (CHAR_04…07 were deleted there).
        const next = await server.json("POST", `/api/manifests/${crafted.body.id}/assets`, {
          name: "Stand-in",
        });
        assert.equal(next.body.manifest_tag, "CHAR_08");
        // Same bytes, same content key: the photo is stored once.
        const hashes = new Set(
          await Promise.all(
            [face, person].map(async (a) =>
              await sha256Hex(
                new Uint8Array(await (await server.fetch(a.reference_image_url)).arrayBuffer()),
              )
            ),
          ),
        );
        assert.equal(hashes.size, 1);
      },
    );
  } finally {
    await server.close();
  }
});

async function post(server: TestServer, init: RequestInit) {
  const response = await server.fetch("/api/manifests/import", init);
  return { status: response.status, body: await response.json() };
}
