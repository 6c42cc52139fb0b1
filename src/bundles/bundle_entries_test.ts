import assert from "node:assert/strict";
import { makeZip } from "client-zip";
import type { BlobStore } from "../storage/blob_store.ts";
import { bundleEntries, type BundleParts } from "./bundle_entries.ts";
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleDocument } from "./format.ts";
import { Uint8ArrayReader, ZipReader } from "./zip_library.ts";
import { Uint8ArrayWriter } from "@zip.js/zip.js";

const DOCUMENT = {
  format: BUNDLE_FORMAT,
  version: BUNDLE_VERSION,
  exported_at: "2026-01-02T03:04:05.000Z",
  manifest: { name: "Ünïcode cast" },
  assets: [{ ref: "CHAR_01" }, { ref: "CHAR_02", prompts: { reverse_prompt: "a\nb" } }],
  identities: [],
} as unknown as BundleDocument;

/** A store of `blobs` that records which streams were opened and which were cancelled. */
function memoryStore(blobs: Record<string, Uint8Array>) {
  const cancelled: string[] = [];
  const opened: string[] = [];
  const store = {
    stream(key: string) {
      const bytes = blobs[key];
      if (!bytes) return Promise.resolve(null);
      opened.push(key);
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(offset, offset += 1000));
        },
        cancel: () => void cancelled.push(key),
      });
      return Promise.resolve({ size: bytes.length, stream });
    },
  } as unknown as BlobStore;
  return { store, opened, cancelled };
}

function parts(keys: string[]): BundleParts {
  return {
    readme: "read me",
    document: DOCUMENT,
    registry: "CHAR_01 …",
    blobs: keys.map((key) => ({ entry: `images/${key}.jpg`, key })),
    at: new Date(DOCUMENT.exported_at),
  };
}

Deno.test("bundleEntries: the archive holds every entry, the document as JSON.stringify writes it", async () => {
  const photo = crypto.getRandomValues(new Uint8Array(5000));
  const { store } = memoryStore({ a: photo, b: new Uint8Array(0) });
  const bytes = new Uint8Array(
    await new Response(
      makeZip(bundleEntries(store, parts(["a", "b"]), (error) => assert.fail(String(error)))),
    )
      .arrayBuffer(),
  );
  const reader = new ZipReader(new Uint8ArrayReader(bytes), { strictness: "strict" });
  const files = new Map<string, Uint8Array>();
  for (const entry of await reader.getEntries()) {
    if (!entry.directory) files.set(entry.filename, await entry.getData(new Uint8ArrayWriter()));
  }
  await reader.close();
  assert.deepEqual([...files.keys()], [
    "README.txt",
    "manifest.json",
    "registry.txt",
    "images/a.jpg",
    "images/b.jpg",
  ]);
  const text = (name: string) => new TextDecoder().decode(files.get(name));
  assert.equal(text("manifest.json"), JSON.stringify(DOCUMENT, null, 2));
  assert.equal(text("registry.txt"), "CHAR_01 …");
  assert.deepEqual(files.get("images/a.jpg"), photo);
  assert.equal(files.get("images/b.jpg")!.length, 0);
});

Deno.test("bundleEntries: a reader that goes away ends the archive quietly and closes the blob", async () => {
  const { store, cancelled } = memoryStore({ a: new Uint8Array(100_000) });
  const failures: unknown[] = [];
  const archive = makeZip(bundleEntries(store, parts(["a"]), (error) => failures.push(error)))
    .getReader();
  // Read until the image is being written, then give up.
  let read = 0;
  while (read < 20_000) read += (await archive.read()).value!.length;
  await archive.cancel("gone");
  assert.deepEqual(cancelled, ["a"]);
  assert.deepEqual(failures, ["gone"]);

  // Given up before anything was read: no error either.
  await makeZip(bundleEntries(store, parts(["a"]), () => {})).cancel();
});

Deno.test("bundleEntries: a blob gone before its turn fails the archive, said once", async () => {
  const { store } = memoryStore({ a: new Uint8Array(10) });
  const failures: unknown[] = [];
  const archive = makeZip(bundleEntries(store, parts(["a", "gone"]), (e) => failures.push(e)));
  await assert.rejects(new Response(archive).arrayBuffer(), /disappeared during the export/);
  assert.equal(failures.length, 1);
});
