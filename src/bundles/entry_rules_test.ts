import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import { checkEntries, type EntryHeader, unsafeNameReason } from "./entry_rules.ts";
import { bundleLimits } from "./limits.ts";

const LIMITS = bundleLimits(1024 * 1024);

function refusedWith(status: number, code: string) {
  return (error: unknown) =>
    error instanceof AppError && error.status === status && error.code === code;
}

Deno.test("entry names: plain relative names pass, anything that could escape is refused", () => {
  for (
    const name of ["manifest.json", "images/CHAR_01.jpg", "images/", "contact-sheet/page-001.jpg"]
  ) {
    assert.equal(unsafeNameReason(name), null, name);
  }
  const refused: [string, RegExp][] = [
    ["../evil", /\.\./],
    ["images/../../evil", /\.\./],
    ["/etc/passwd", /absolute/],
    ["C:/Windows/evil", /absolute/],
    ["c:evil", /absolute/],
    ["images\\evil.jpg", /backslash/],
    ["..\\evil", /backslash/],
    ["images//x.jpg", /empty/],
    ["./manifest.json", /empty or \./],
    ["evil\u0000.jpg", /control/],
    ["", /empty/],
    ["a".repeat(256), /255/],
  ];
  for (const [name, reason] of refused) assert.match(unsafeNameReason(name) ?? "", reason, name);
});

Deno.test("table of contents: counts, duplicates, encryption, declared sizes and ratios", () => {
  const entry = (fields: Partial<EntryHeader>): EntryHeader => ({
    name: "a.txt",
    directory: false,
    encrypted: false,
    compressedSize: 100,
    uncompressedSize: 100,
    ...fields,
  });
  checkEntries([entry({}), entry({ name: "b.txt" })], LIMITS);
  const many = Array.from({ length: LIMITS.maxEntries + 1 }, (_, i) => entry({ name: `${i}` }));
  assert.throws(() => checkEntries(many, LIMITS), refusedWith(413, "too_many_entries"));
  assert.throws(
    () => checkEntries([entry({}), entry({})], LIMITS),
    refusedWith(400, "duplicate_entry"),
  );
  assert.throws(
    () => checkEntries([entry({ encrypted: true })], LIMITS),
    refusedWith(400, "encrypted_entry"),
  );
  // Small entries may pack well; a large one packed over 200:1 is a bomb.
  checkEntries([entry({ compressedSize: 10, uncompressedSize: 100_000 })], LIMITS);
  assert.throws(
    () => checkEntries([entry({ compressedSize: 5000, uncompressedSize: 2_000_000 })], LIMITS),
    refusedWith(413, "suspicious_compression"),
  );
  const half = LIMITS.maxTotalBytes / 2 + 1;
  assert.throws(
    () =>
      checkEntries([
        entry({ compressedSize: half, uncompressedSize: half }),
        entry({ name: "b", compressedSize: half, uncompressedSize: half }),
      ], LIMITS),
    refusedWith(413, "bundle_too_large"),
  );
});
