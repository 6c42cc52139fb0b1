import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import type { BundleAsset, BundleDocument } from "./format.ts";
import { checkDocument, planImport, validateBundle } from "./validate.ts";

const SHA = (n: number) => n.toString(16).padStart(64, "0");

function asset(fields: Partial<BundleAsset> & Pick<BundleAsset, "ref">): BundleAsset {
  return {
    tag: fields.ref.startsWith("untagged-") ? null : fields.ref,
    type: "CHARACTER",
    name: fields.ref,
    description: null,
    user_tags: [],
    source: "uploaded",
    parent: null,
    extraction_role: null,
    is_face_crop: false,
    sort_order: 0,
    identity: null,
    quality_score: 7.5,
    prompts: {
      reverse_prompt: "a woman in a red coat",
      visual_description: null,
      suggested_name: null,
      provider: "local",
      error: null,
    },
    detection: { class: null, confidence: null },
    crop_bbox: null,
    image: {
      file: `images/${fields.ref}.jpg`,
      mime: "image/jpeg",
      width: 640,
      height: 480,
      sha256: SHA(fields.ref.length + fields.ref.charCodeAt(fields.ref.length - 1)),
      upload_sha256: null,
    },
    processed: { detected_at: null, prompted_at: null },
    ...fields,
  };
}

/** An upload, a person crop, a face crop in it (listed first, untagged), an identity. */
function document(): BundleDocument {
  return {
    format: "manifest-studio-bundle",
    version: 1,
    exported_at: "2026-01-02T03:04:05.678Z",
    manifest: {
      name: "Cast",
      description: null,
      category: "CHARACTERS",
      tags: [],
      status: "READY",
      error: null,
      version: 9,
      tag_counters: { CHAR: 4, OBJ: 2 },
      contact_sheet_pages: ["contact-sheet/page-001.jpg"],
    },
    assets: [
      asset({
        ref: "untagged-1",
        source: "extracted",
        parent: "CHAR_02",
        extraction_role: "face",
        is_face_crop: true,
        identity: "identity-1",
        crop_bbox: [10, 10, 50, 60],
      }),
      asset({ ref: "CHAR_01" }),
      asset({
        ref: "CHAR_02",
        source: "extracted",
        parent: "CHAR_01",
        extraction_role: "person",
        identity: "identity-1",
      }),
    ],
    identities: [{
      id: "identity-1",
      name: "Lead",
      primary: "untagged-1",
      members: ["untagged-1", "CHAR_02"],
      locked: true,
    }],
  };
}

function entriesOf(doc: BundleDocument): Set<string> {
  return new Set([
    "manifest.json",
    ...doc.assets.flatMap((a) => a.image ? [a.image.file] : []),
    ...doc.manifest.contact_sheet_pages,
  ]);
}

/** The codes of every problem `doc` has (none: []). */
function problems(doc: BundleDocument, entries = entriesOf(doc)): string[] {
  try {
    planImport(checkDocument(structuredClone(doc)), entries);
    return [];
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.status, 422);
    const details = error.details as { problems?: { code: string }[] };
    return details.problems?.map((p) => p.code) ?? [error.code];
  }
}

function changed(edit: (doc: BundleDocument) => void): BundleDocument {
  const doc = document();
  edit(doc);
  return doc;
}

Deno.test("validator: a consistent document gives a plan with parents first and counters", () => {
  const doc = document();
  const plan = planImport(checkDocument(structuredClone(doc)), entriesOf(doc));
  assert.deepEqual(plan.assets.map((a) => a.ref), ["CHAR_01", "CHAR_02", "untagged-1"]);
  // The source's counter (4) is ahead of its tags (CHAR_02) and wins; OBJ has no asset left.
  assert.deepEqual([...plan.counters], [["CHAR", 4], ["OBJ", 2]]);
  assert.deepEqual(plan.contactSheetPages, [
    { entry: "contact-sheet/page-001.jpg", page: 1, firstCell: 1, lastCell: 3 },
  ]);
  const behind = changed((d) => d.manifest.tag_counters = { CHAR: 1 });
  assert.deepEqual([...planImport(behind, entriesOf(behind)).counters], [["CHAR", 2]]);
});

Deno.test("validator: JSON, format, version and schema are refused with what to do", () => {
  const refuse = (bytes: string, code: string, message?: RegExp) => {
    assert.throws(
      () => validateBundle(new TextEncoder().encode(bytes), new Set()),
      (error: unknown) =>
        error instanceof AppError && error.status === 422 && error.code === code &&
        (!message || message.test(error.message)),
      code,
    );
  };
  refuse("{ not json", "malformed_bundle_manifest");
  refuse("[1, 2]", "not_a_bundle");
  refuse(JSON.stringify({ ...document(), format: "zip" }), "not_a_bundle");
  refuse(
    JSON.stringify({ ...document(), version: 3, assets: "renamed" }),
    "bundle_version_unsupported",
    /version 3.*reads version 1/,
  );
  refuse(JSON.stringify({ ...document(), version: 0 }), "invalid_bundle_manifest", /version/);
  const badType = changed((d) => (d.assets[1] as { type: string }).type = "DRAGON");
  refuse(JSON.stringify(badType), "invalid_bundle_manifest", /assets\.1\.type/);
  const badFile = changed((d) => d.assets[1].image!.file = "../CHAR_01.jpg");
  refuse(JSON.stringify(badFile), "invalid_bundle_manifest", /assets\.1\.image\.file/);
  const processing = changed((d) => (d.manifest as { status: string }).status = "PROCESSING");
  refuse(JSON.stringify(processing), "invalid_bundle_manifest", /manifest\.status/);
});

Deno.test("validator: each inconsistency is named by its code", () => {
  const cases: [string, (doc: BundleDocument) => void][] = [
    ["duplicate_tag", (d) => Object.assign(d.assets[2], { ref: "CHAR_01", tag: "CHAR_01" })],
    ["invalid_tag", (d) => Object.assign(d.assets[1], { ref: "CHAR_1", tag: "CHAR_1" })],
    ["invalid_ref", (d) => d.assets[1].ref = "lead"],
    ["tag_prefix_mismatch", (d) => d.assets[1].type = "VEHICLE"],
    ["upload_without_tag", (d) => Object.assign(d.assets[1], { ref: "untagged-2", tag: null })],
    ["inconsistent_source", (d) => d.assets[1].parent = "CHAR_02"],
    ["inconsistent_source", (d) => d.assets[2].extraction_role = null],
    ["face_flag_mismatch", (d) => d.assets[2].is_face_crop = true],
    ["unknown_parent", (d) => d.assets[2].parent = "CHAR_09"],
    ["parent_cycle", (d) => d.assets[2].parent = "untagged-1"],
    ["parent_cycle", (d) => d.assets[2].parent = "CHAR_02"],
    ["unknown_identity", (d) => d.assets[1].identity = "identity-9"],
    ["identity_members_mismatch", (d) => d.assets[1].identity = "identity-1"],
    ["identity_members_mismatch", (d) => d.assets[2].identity = null],
    ["unknown_identity_member", (d) => d.identities[0].members.push("CHAR_07")],
    ["identity_primary_not_member", (d) => d.identities[0].primary = "CHAR_01"],
    ["duplicate_identity", (d) => d.identities.push({ ...d.identities[0], members: ["CHAR_01"] })],
    ["shared_image_file", (d) => d.assets[2].image!.file = "images/CHAR_01.jpg"],
    ["unknown_tag_prefix", (d) => d.manifest.tag_counters = { DRAGON: 3 }],
  ];
  for (const [code, edit] of cases) {
    const found = problems(changed(edit));
    assert.ok(found.includes(code), `${code}: got ${found.join(", ") || "no problem"}`);
  }
});

Deno.test("validator: files the document names must be in the archive; a photo only once", () => {
  const doc = document();
  const without = (name: string) => new Set([...entriesOf(doc)].filter((e) => e !== name));
  assert.deepEqual(problems(doc, without("images/CHAR_02.jpg")), ["missing_image"]);
  assert.deepEqual(problems(doc, without("contact-sheet/page-001.jpg")), ["missing_contact_sheet"]);
  const twice = changed((d) => {
    d.assets.push(asset({ ref: "CHAR_03", sort_order: 1 }));
    d.assets[3].image!.upload_sha256 = d.assets[1].image!.sha256;
  });
  assert.deepEqual(problems(twice), ["duplicate_upload"]);
});

Deno.test("validator: several sheet pages need a page size that makes that many pages", () => {
  const paged = (size: number | undefined) =>
    changed((d) => {
      d.manifest.contact_sheet_pages = ["contact-sheet/page-001.jpg", "contact-sheet/page-002.jpg"];
      if (size !== undefined) d.manifest.contact_sheet_page_size = size;
    });
  const doc = paged(2);
  assert.deepEqual(
    planImport(checkDocument(structuredClone(doc)), entriesOf(doc)).contactSheetPages,
    [
      { entry: "contact-sheet/page-001.jpg", page: 1, firstCell: 1, lastCell: 2 },
      { entry: "contact-sheet/page-002.jpg", page: 2, firstCell: 3, lastCell: 3 },
    ],
  );
  assert.deepEqual(problems(paged(undefined)), ["contact_sheet_pages_mismatch"]);
  assert.deepEqual(problems(paged(1)), ["contact_sheet_pages_mismatch"], "3 images make 3 pages");
  assert.deepEqual(problems(paged(3)), ["contact_sheet_pages_mismatch"], "3 images make 1 page");
  assert.throws(
    () => planImport(checkDocument(structuredClone(paged(undefined))), entriesOf(doc)),
    /lists 2 pages, but manifest\.contact_sheet_page_size does not say how many cells each holds: export the manifest again/,
  );
});

Deno.test("validator: every problem is reported at once, the message lists the first", () => {
  const doc = changed((d) => {
    d.assets[1].type = "PROP";
    d.assets[2].parent = "CHAR_09";
    d.identities[0].primary = "CHAR_01";
  });
  try {
    planImport(doc, entriesOf(doc));
    assert.fail("refused");
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, "tag_prefix_mismatch");
    assert.match(error.message, /3 problems: CHAR_01 is a PROP.*CHAR_09.*Nothing was imported/);
  }
});

Deno.test("validator: a long chain of crops is ordered without recursion", () => {
  const doc = document();
  doc.identities = [];
  const chain = [asset({ ref: "CHAR_01" })];
  for (let n = 2; n <= 5000; n++) {
    chain.push(asset({
      ref: `CHAR_${String(n).padStart(2, "0")}`,
      source: "extracted",
      parent: chain[chain.length - 1].ref,
      extraction_role: "object",
    }));
  }
  doc.assets = chain.reverse();
  for (const [i, a] of doc.assets.entries()) a.image!.sha256 = SHA(i + 1);
  const plan = planImport(doc, entriesOf(doc));
  assert.equal(plan.assets[0].ref, "CHAR_01");
  assert.equal(plan.assets.at(-1)!.ref, "CHAR_5000");
  assert.deepEqual(plan.counters.get("CHAR"), 5000);
});
