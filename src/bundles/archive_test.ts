import assert from "node:assert/strict";
import { Uint8ArrayWriter } from "@zip.js/zip.js";
import { AppError } from "../errors.ts";
import { BundleArchive } from "./archive.ts";
import { bundleLimits } from "./limits.ts";
import { Uint8ArrayReader, ZipWriter } from "./zip_library.ts";

const LIMITS = bundleLimits(1024 * 1024);

async function zipOf(entries: [string, Uint8Array, number][]): Promise<Uint8Array> {
  const writer = new ZipWriter(new Uint8ArrayWriter());
  for (const [name, bytes, level] of entries) {
    await writer.add(name, new Uint8ArrayReader(bytes), { level });
  }
  return await writer.close();
}

function refusedWith(status: number, code: string) {
  return (error: unknown) =>
    error instanceof AppError && error.status === status && error.code === code;
}

Deno.test("archive: reads entries, refuses what is not a ZIP and damaged data", async () => {
  const text = new TextEncoder().encode("hello ".repeat(1000));
  const bytes = await zipOf([["a.txt", text, 6], ["b.bin", text, 0]]);
  const archive = await BundleArchive.open(bytes, LIMITS);
  try {
    assert.deepEqual([...archive.names()], ["a.txt", "b.bin"]);
    assert.deepEqual(await archive.read("a.txt"), text);
    assert.deepEqual(await archive.read("b.bin"), text);
    // A caller's own limit (manifest.json has one) stops the read once passed.
    await assert.rejects(archive.read("a.txt", 100), refusedWith(413, "entry_too_large"));
  } finally {
    await archive.close();
  }

  await assert.rejects(BundleArchive.open(text, LIMITS), refusedWith(415, "not_a_zip"));
  await assert.rejects(
    BundleArchive.open(bytes.slice(0, bytes.length - 30), LIMITS),
    refusedWith(400, "corrupt_bundle"),
  );
  // One byte of the stored entry changed: its CRC-32 no longer matches.
  const damaged = bytes.slice();
  const at = damaged.findLastIndex((_, i) => damaged[i] === 0x68 && damaged[i + 1] === 0x65);
  damaged[at] = 0x48;
  const reopened = await BundleArchive.open(damaged, LIMITS);
  try {
    await assert.rejects(reopened.read("b.bin"), refusedWith(400, "corrupt_bundle"));
  } finally {
    await reopened.close();
  }
});
