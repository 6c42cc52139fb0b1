/**
 * The export streams: a manifest whose images add up to far more than the memory the export
 * may take is written to /dev/null through the bench hook, in a process of its own, and that
 * process grows by a fraction of it. Holding the archive, or all images, would grow it by the
 * whole.
 */
import assert from "node:assert/strict";
import { type ExportMeasurement, measureExport } from "../src/bundles/measure_export.ts";
import { contentKey } from "../src/storage/blob_store.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { now } from "../src/db/timestamp.ts";
import { startTestServer } from "./_harness.ts";

const IMAGES = 300;
const IMAGE_BYTES = 2 * 1024 * 1024;
const MB = 1024 * 1024;

Deno.test("exporting 600 MB of images grows the exporting process by a fraction of it", async () => {
  const server = await startTestServer();
  try {
    const { db, blobs } = server.services;
    const created = await server.json("POST", "/api/manifests", { name: "Big" });
    const manifestId = created.body.id;
    // One photo on disk, referenced by every asset (blobs are shared by content): the export
    // still reads and writes it once per asset, 600 MB in all, without filling the disk.
    const bytes = new Uint8Array(IMAGE_BYTES);
    for (let at = 0; at < bytes.length; at += 65536) {
      crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)));
    }
    const key = await sha256Hex(bytes);
    await blobs.put(contentKey(key), bytes);
    for (let n = 1; n <= IMAGES; n++) {
      await db.insertInto("assets").values({
        id: crypto.randomUUID(),
        manifest_id: manifestId,
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
    const total = IMAGES * IMAGE_BYTES;
    assert.ok(measured.bytes > total, `${measured.bytes} bytes written`);
    const growth = measured.peakRssBytes - measured.rssBeforeBytes;
    // What garbage collection lets pile up before it runs (about 100 MB here) is the same for
    // 90 MB or 600 MB of images; holding them would take all 600.
    assert.ok(
      growth < 200 * MB,
      `RSS grew by ${Math.round(growth / MB)} MB exporting ${Math.round(total / MB)} MB`,
    );

    // The hook writes to any sink: here one that only looks at what it is given.
    let head: Uint8Array | null = null;
    const again = await measureExport({ db, blobs }, manifestId, {
      sink: new WritableStream({ write: (chunk) => void (head ??= chunk.slice(0, 4)) }),
    });
    // The same archive but for its export time, which deflates a byte or two differently.
    assert.ok(Math.abs(again.bytes - measured.bytes) < 64, `${again.bytes} vs ${measured.bytes}`);
    assert.deepEqual(head, new Uint8Array([0x50, 0x4b, 3, 4]), "a ZIP begins with PK\\3\\4");
  } finally {
    await server.close();
  }
});
