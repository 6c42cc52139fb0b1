/**
 * The export streams. While its reader waits, it stops reading images; and a manifest whose
 * images add up to far more than the export may hold (800 MB) is written to /dev/null through
 * the bench hook, in a process of its own, which grows by a fraction of that. Holding the
 * archive, or all images, would grow it by the whole.
 */
import assert from "node:assert/strict";
import { prepareExport } from "../src/bundles/export.ts";
import { type ExportMeasurement, measureExport } from "../src/bundles/measure_export.ts";
import { type BlobStore, contentKey } from "../src/storage/blob_store.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { now } from "../src/db/timestamp.ts";
import { startTestServer, type TestServer } from "./_harness.ts";

const IMAGE_BYTES = 2 * 1024 * 1024;
const MB = 1024 * 1024;

/**
 * A manifest of `count` assets that all show one 2 MB photo: one file on disk (blobs are
 * shared by content), yet the export reads and writes it once per asset.
 */
async function bigManifest(server: TestServer, count: number): Promise<string> {
  const { db, blobs } = server.services;
  const created = await server.json("POST", "/api/manifests", { name: "Big" });
  const bytes = new Uint8Array(IMAGE_BYTES);
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)));
  }
  const key = await sha256Hex(bytes);
  await blobs.put(contentKey(key), bytes);
  for (let n = 1; n <= count; n++) {
    await db.insertInto("assets").values({
      id: crypto.randomUUID(),
      manifest_id: created.body.id,
      asset_type: "CHARACTER",
      name: `Photo ${n}`,
      manifest_tag: `CHAR_${String(n).padStart(2, "0")}`,
      sort_order: n,
      image_key: key,
      mime: "image/jpeg",
      width: 1000,
      height: 500,
      created_at: now(),
      updated_at: now(),
    }).execute();
  }
  return created.body.id;
}

Deno.test("the export reads the next image only when its reader asks for more", async () => {
  const server = await startTestServer();
  try {
    const manifestId = await bigManifest(server, 50);
    const { db, blobs } = server.services;
    let reads = 0;
    const counting: BlobStore = {
      get: (key) => (reads++, blobs.get(key)),
      stream: (key) => (reads++, blobs.stream(key)),
      put: (key, bytes) => blobs.put(key, bytes),
      has: (key) => blobs.has(key),
      delete: (key) => blobs.delete(key),
      kind: blobs.kind,
      check: () => blobs.check(),
    };
    const reader = (await prepareExport({ db, blobs: counting }, manifestId)).stream()
      .getReader();
    let total = 0;
    // Read until the first image is on its way.
    while (reads === 0) total += (await reader.read()).value!.length;
    // A reader that stalls: the writer fills what little the stream queues, then waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(reads <= 2, `${reads} of 50 images read while nobody was reading the ZIP`);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      total += chunk.value.length;
    }
    assert.equal(reads, 50);
    assert.ok(total > 50 * IMAGE_BYTES);
  } finally {
    await server.close();
  }
});

Deno.test("exporting 800 MB of images grows the exporting process by a fraction of it", async () => {
  const server = await startTestServer();
  try {
    const images = 400;
    const manifestId = await bigManifest(server, images);
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_measure_export.ts", import.meta.url).pathname,
        server.dataDir,
        manifestId,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const measured: ExportMeasurement = JSON.parse(new TextDecoder().decode(child.stdout));
    const total = images * IMAGE_BYTES;
    assert.ok(measured.bytes > total, `${measured.bytes} bytes written`);
    const growth = measured.peakRssBytes - measured.rssBeforeBytes;
    // What grows is garbage the collector frees late (about 100 MB in a fresh process,
    // whether 90 or 800 MB go through, more when other processes hold the cores); holding
    // the archive would take it all. The bench's `export` section measures it closely.
    assert.ok(
      growth < 0.75 * total,
      `RSS grew by ${Math.round(growth / MB)} MB exporting ${Math.round(total / MB)} MB`,
    );

    // The hook writes to any sink: here one that only looks at what it is given.
    const { db, blobs } = server.services;
    let head: Uint8Array | null = null;
    const again = await measureExport({ db, blobs }, manifestId, {
      sink: new WritableStream({ write: (chunk) => void (head ??= chunk.slice(0, 4)) }),
    });
    // The same archive: entries are stored, so a later export time changes no length.
    assert.equal(again.bytes, measured.bytes);
    assert.deepEqual(head, new Uint8Array([0x50, 0x4b, 3, 4]), "a ZIP begins with PK\\3\\4");
  } finally {
    await server.close();
  }
});
