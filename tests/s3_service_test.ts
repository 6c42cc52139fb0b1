/**
 * The service with its blobs in a bucket of a real S3 server (Ceph radosgw, tests/_radosgw.ts):
 * the demo photos are uploaded, processed and served back from the bucket while DATA_DIR
 * holds nothing but the database; a bucket it cannot use stops the start, naming the variable.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { AwsClient } from "aws4fetch";
import { ConfigError, loadConfig } from "../src/config.ts";
import { databasePath, startServer } from "../src/server.ts";
import { contentKey } from "../src/storage/blob_store.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { startTestServer } from "./_harness.ts";
import { runUntilExit } from "./_instances.ts";
import { DEMO_FILES, manifestWithPhotos, processAndWait } from "./_pipeline.ts";
import { listKeys, radosgw, s3Env, uniqueBucket } from "./_radosgw.ts";

const DATABASE_FILES = /^manifest-studio\.db(-wal|-shm|-journal)?$/;

/** Every image key the assets table refers to. */
function imageKeysOf(dataDir: string): string[] {
  const db = new DatabaseSync(databasePath(dataDir), { readOnly: true });
  try {
    const rows = db.prepare("select distinct image_key from assets where image_key is not null")
      .all() as { image_key: string }[];
    return rows.map((row) => row.image_key);
  } finally {
    db.close();
  }
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string, at = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(dir, at))) {
    const path = at ? `${at}/${entry.name}` : entry.name;
    if (entry.isDirectory) files.push(...await filesUnder(dir, path));
    else files.push(path);
  }
  return files.sort();
}

Deno.test("with S3_* set, the demo photos live in the bucket and DATA_DIR holds only the database", async (t) => {
  const gw = await radosgw();
  if (gw.startSeconds > 0) console.log(`radosgw started in ${gw.startSeconds} s`);
  const bucket = uniqueBucket("service");
  const server = await startTestServer({ ...s3Env(gw, bucket), WORKERS: "2" });
  try {
    await t.step("/readyz reports the S3 blob store", async () => {
      const ready = await server.json("GET", "/readyz");
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.deepEqual(ready.body.blob_store, { kind: "s3", status: "ok" });
    });

    const { manifestId, uploadIds } = await manifestWithPhotos(server, DEMO_FILES);

    await t.step("an upload is read back byte for byte, with its thumbnails", async () => {
      const response = await server.fetch(`/api/assets/${uploadIds[0]}/image`);
      assert.equal(response.status, 200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      assert.deepEqual(bytes, await fixturePhoto(DEMO_FILES[0]));
      assert.ok((await listKeys(gw, bucket)).includes(contentKey(await sha256Hex(bytes))));
      for (const size of [256, 128]) {
        const thumb = await server.fetch(`/api/assets/${uploadIds[0]}/thumbnail?size=${size}`);
        assert.equal(thumb.status, 200);
        assert.equal(thumb.headers.get("content-type"), "image/jpeg");
        assert.ok((await thumb.arrayBuffer()).byteLength > 1000);
      }
    });

    const final = await processAndWait(server, manifestId);
    assert.equal(final.status, "complete", JSON.stringify(final));
    const manifest = (await server.json("GET", `/api/manifests/${manifestId}`)).body;

    await t.step(
      "processing stored crops, thumbnails and the contact sheet in the bucket",
      async () => {
        const keys = await listKeys(gw, bucket);
        const blobs = keys.filter((key) => key.startsWith("blobs/"));
        assert.ok(manifest.assets.length > DEMO_FILES.length, "crops were extracted");
        assert.ok(blobs.length >= DEMO_FILES.length, `blobs: ${blobs.length}`);
        assert.ok(keys.some((key) => key.startsWith("thumbs/")));
        assert.ok(keys.some((key) => key.startsWith(`sheets/${manifestId}/`)));
        assert.ok(!keys.some((key) => key.startsWith("probe/")), "the start probe was deleted");
        for (const key of imageKeysOf(server.dataDir)) {
          assert.ok(blobs.includes(contentKey(key)), `${key} is in the bucket`);
        }
        const sheet = await server.fetch(`/api/manifests/${manifestId}/contact-sheet`);
        assert.equal(sheet.status, 200);
        assert.equal(sheet.headers.get("content-type"), "image/jpeg");
        await sheet.body?.cancel();
        const crop = manifest.assets.find((asset: { source: string }) =>
          asset.source === "extracted"
        );
        const cropImage = await server.fetch(`/api/assets/${crop.id}/image`);
        assert.equal(cropImage.status, 200);
        await cropImage.body?.cancel();
      },
    );

    await t.step("DATA_DIR holds the SQLite database and nothing else", async () => {
      const files = await filesUnder(server.dataDir);
      assert.ok(files.includes("manifest-studio.db"), files.join(", "));
      assert.deepEqual(files.filter((file) => !DATABASE_FILES.test(file)), []);
    });

    await t.step(
      "deleting the manifest's assets releases their blobs from the bucket",
      async () => {
        const before = await listKeys(gw, bucket);
        for (const id of uploadIds) {
          const deleted = await server.fetch(`/api/assets/${id}`, { method: "DELETE" });
          assert.equal(deleted.status, 204);
          await deleted.body?.cancel();
        }
        const after = await listKeys(gw, bucket);
        assert.deepEqual(after.filter((key) => key.startsWith("blobs/")), []);
        assert.deepEqual(after.filter((key) => key.startsWith("thumbs/")), []);
        assert.ok(before.length > after.length);
      },
    );
  } finally {
    await server.close();
  }
});

Deno.test("/readyz answers 503 with blob_store error once the bucket is gone", async () => {
  const gw = await radosgw();
  const bucket = uniqueBucket("readyz");
  const server = await startTestServer(s3Env(gw, bucket));
  try {
    assert.equal((await server.json("GET", "/readyz")).status, 200);
    const client = new AwsClient({ ...gw, service: "s3" });
    const deleted = await client.fetch(`${gw.endpoint}/${bucket}`, { method: "DELETE" });
    await deleted.body?.cancel();
    assert.equal(deleted.status, 204);
    const ready = await server.json("GET", "/readyz");
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, "not_ready");
    assert.deepEqual(ready.body.blob_store, { kind: "s3", status: "error" });
  } finally {
    await server.close();
  }
});

Deno.test("a wrong S3_SECRET_ACCESS_KEY stops startServer with a ConfigError, before the database", async () => {
  const gw = await radosgw();
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-s3-" });
  try {
    const config = loadConfig({
      ...s3Env(gw, uniqueBucket("refused")),
      S3_SECRET_ACCESS_KEY: "wrong-secret-value",
      PORT: "0",
      DATA_DIR: dataDir,
      WORKERS: "1",
      LOG_LEVEL: "error",
    });
    await assert.rejects(startServer(config), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /S3_SECRET_ACCESS_KEY is not the secret/);
      assert.doesNotMatch(error.message, /wrong-secret-value/);
      return true;
    });
    assert.deepEqual(await filesUnder(dataDir), [], "nothing was opened or written");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("main.ts exits with 2 and 'Cannot start: …' naming the S3 variable to fix", async () => {
  const gw = await radosgw();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "wrong secret",
      { ...s3Env(gw, uniqueBucket("main")), S3_SECRET_ACCESS_KEY: "wrong-secret-value" },
      /^Cannot start: .*S3_SECRET_ACCESS_KEY is not the secret of S3_ACCESS_KEY_ID=/m,
    ],
    [
      "unreachable endpoint",
      { ...s3Env(gw, uniqueBucket("main")), S3_ENDPOINT: `http://127.0.0.1:${closedPort}` },
      new RegExp(`^Cannot start: Cannot reach S3_ENDPOINT=http://127.0.0.1:${closedPort} `, "m"),
    ],
    [
      "partial configuration",
      { S3_ENDPOINT: gw.endpoint, S3_BUCKET: "some-bucket" },
      /^Cannot start: S3_ENDPOINT, S3_BUCKET are set but S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY are not/m,
    ],
  ];
  for (const [name, env, expected] of cases) {
    const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-s3-main-" });
    try {
      const { code, stderr: message } = await runUntilExit({
        AUTH_TOKEN: "",
        WORKERS: "1",
        DATA_DIR: dataDir,
        ...env,
      });
      assert.equal(code, 2, `${name}: ${message}`);
      assert.match(message, expected, name);
      assert.doesNotMatch(message, /wrong-secret-value/, name);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  }
});
