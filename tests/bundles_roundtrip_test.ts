/**
 * Acceptance: a processed manifest exported as a bundle and imported again is the same
 * manifest — tags, prompts, scores, boxes, parent links, identities and image bytes — and
 * the copy goes on as its own manifest (its counters continue, it can be processed again).
 */
import assert from "node:assert/strict";
import { Uint8ArrayReader, ZipReader } from "../src/bundles/zip_library.ts";
import { BundleDocument } from "../src/bundles/format.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { startTestServer, type TestServer } from "./_harness.ts";
import {
  type AnyFrame,
  DEMO_FILES,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
} from "./_pipeline.ts";
import { importBundle, unzip } from "./_bundles.ts";

/** What must survive the round trip, per asset, keyed by tag. */
function assetsByTag(detail: AnyFrame): Map<string, AnyFrame> {
  const byId = new Map<string, AnyFrame>(detail.assets.map((a: AnyFrame) => [a.id, a]));
  return new Map(detail.assets.map((a: AnyFrame) => [a.manifest_tag, {
    type: a.asset_type,
    name: a.name,
    description: a.description,
    user_tags: a.user_tags,
    source: a.source,
    parent: a.source_asset_id ? byId.get(a.source_asset_id)!.manifest_tag : null,
    extraction_role: a.extraction_role,
    is_face_crop: a.is_face_crop,
    sort_order: a.sort_order,
    reverse_prompt: a.reverse_prompt,
    visual_description: a.visual_description,
    suggested_name: a.suggested_name,
    provider: a.provider,
    quality_score: a.quality_score,
    detection_class: a.detection_class,
    detection_confidence: a.detection_confidence,
    crop_bbox: a.crop_bbox,
    mime: a.mime,
    width: a.width,
    height: a.height,
    prompted: a.prompted_at !== null,
    detected: a.detected_at !== null,
  }]));
}

/** Identities as sets of member tags, with their lock, name and primary; order-free. */
function identityGroups(detail: AnyFrame): string[] {
  const tagOf = new Map<string, string>(
    detail.assets.map((a: AnyFrame) => [a.id, a.manifest_tag]),
  );
  return detail.identities.map((identity: AnyFrame) =>
    JSON.stringify({
      members: detail.assets.filter((a: AnyFrame) => a.identity_id === identity.id)
        .map((a: AnyFrame) => a.manifest_tag).sort(),
      locked: identity.locked,
      name: identity.name,
      primary: tagOf.get(identity.primary_asset_id) ?? null,
    })
  ).sort();
}

/** SHA-256 of each asset's served image, by tag. */
async function imageHashes(server: TestServer, detail: AnyFrame): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const asset of detail.assets) {
    if (!asset.reference_image_url) continue;
    const response = await server.fetch(asset.reference_image_url);
    assert.equal(response.status, 200);
    hashes.set(asset.manifest_tag, await sha256Hex(new Uint8Array(await response.arrayBuffer())));
  }
  return hashes;
}

/** The pages `GET /contact-sheets` lists for manifest `id`. */
async function sheetPages(server: TestServer, id: string): Promise<AnyFrame[]> {
  const reply = await server.json("GET", `/api/manifests/${id}/contact-sheets`);
  assert.equal(reply.status, 200);
  return reply.body.items;
}

async function detailOf(server: TestServer, id: string): Promise<AnyFrame> {
  const reply = await server.json("GET", `/api/manifests/${id}`);
  assert.equal(reply.status, 200);
  return reply.body;
}

Deno.test("a processed manifest survives export and import: tags, prompts, boxes, identities, bytes", async (t) => {
  const server = await startTestServer();
  try {
    const { manifestId } = await manifestWithPhotos(server, DEMO_FILES);
    assert.equal((await processAndWait(server, manifestId)).status, "complete");

    // Hand changes travel too: a face moved to an identity of its own (locked), user notes.
    let original = await detailOf(server, manifestId);
    const face = original.assets.find((a: AnyFrame) => a.is_face_crop && a.identity_id);
    assert.ok(face, "the demo photos give at least one face with an identity");
    const moved = await server.json("POST", `/api/assets/${face.id}/identity`, {
      identity_id: null,
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const upload = original.assets.find((a: AnyFrame) => a.source === "uploaded");
    const edited = await server.json("PUT", `/api/assets/${upload.id}`, {
      user_tags: ["lead", "day 1"],
      description: "Wears the red coat in act two.",
    });
    assert.equal(edited.status, 200);
    original = await detailOf(server, manifestId);
    assert.ok(original.identities.some((i: AnyFrame) => i.locked), "a locked identity");
    assert.ok(original.assets.every((a: AnyFrame) => a.manifest_tag), "every asset is tagged");

    const response = await server.fetch(`/api/manifests/${manifestId}/export`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/zip");
    assert.match(
      response.headers.get("content-disposition") ?? "",
      /^attachment; filename="Demo-cast-bundle\.zip"; filename\*=UTF-8''Demo%20cast-bundle\.zip$/,
    );
    const bundle = new Uint8Array(await response.arrayBuffer());

    await t.step(
      "the ZIP holds manifest.json, registry, README, every image, the sheet",
      async () => {
        const files = await unzip(bundle);
        const withImage = original.assets.filter((a: AnyFrame) => a.reference_image_url);
        const names = [...files.keys()];
        for (const name of ["README.txt", "manifest.json", "registry.txt"]) {
          assert.ok(files.has(name), name);
        }
        const pages = await sheetPages(server, manifestId);
        assert.ok(pages.length > 1, `the demo photos fill more than one page: ${pages.length}`);
        for (const page of pages) {
          const entry = `contact-sheet/page-${String(page.page).padStart(3, "0")}.jpg`;
          const served = await server.fetch(page.url);
          assert.deepEqual(files.get(entry), new Uint8Array(await served.arrayBuffer()), entry);
        }
        assert.equal(names.filter((n) => n.startsWith("images/")).length, withImage.length);
        for (const asset of withImage) assert.ok(files.has(`images/${asset.manifest_tag}.jpg`));

        const document = BundleDocument.parse(
          JSON.parse(new TextDecoder().decode(files.get("manifest.json"))),
        );
        assert.equal(document.format, "manifest-studio-bundle");
        assert.equal(document.version, 1);
        assert.equal(document.assets.length, original.assets.length);
        assert.equal(document.identities.length, original.identities.length);
        assert.equal(document.manifest.contact_sheet_pages.length, pages.length);
        assert.equal(document.manifest.contact_sheet_page_size, 48);

        const registry = await server.fetch(`/api/manifests/${manifestId}/registry`);
        assert.equal(new TextDecoder().decode(files.get("registry.txt")), await registry.text());
        assert.match(new TextDecoder().decode(files.get("README.txt")), /Demo cast/);

        // Images are compressed already: stored as they are, not deflated again. The text
        // entries are stored too (the writer streams without deflating): small beside them.
        const reader = new ZipReader(new Uint8ArrayReader(bundle));
        for (const entry of await reader.getEntries()) {
          assert.equal(entry.compressionMethod, 0, entry.filename);
        }
        await reader.close();
      },
    );

    const imported = await importBundle(server, bundle);
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    const copyId = imported.body.id as string;
    assert.notEqual(copyId, manifestId);
    assert.equal(imported.body.name, original.name);
    assert.equal(imported.body.status, "READY");
    assert.equal(imported.body.asset_count, original.asset_count);
    assert.equal(imported.body.contact_sheet_url, `/api/manifests/${copyId}/contact-sheet`);
    const copy = await detailOf(server, copyId);

    await t.step("every asset has the same tag, type, names, prompts, score, box, parent", () => {
      assert.deepEqual(assetsByTag(copy), assetsByTag(original));
    });

    await t.step("the same identity groups, locks and primaries", () => {
      assert.deepEqual(identityGroups(copy), identityGroups(original));
    });

    await t.step("the same image bytes, and the same contact sheet", async () => {
      assert.deepEqual(await imageHashes(server, copy), await imageHashes(server, original));
      const a = await server.fetch(`/api/manifests/${manifestId}/contact-sheet`);
      const b = await server.fetch(`/api/manifests/${copyId}/contact-sheet`);
      assert.equal(b.status, 200);
      assert.deepEqual(
        new Uint8Array(await b.arrayBuffer()),
        new Uint8Array(await a.arrayBuffer()),
      );
      // Every page, with the cells it shows.
      const originalPages = await sheetPages(server, manifestId);
      const copyPages = await sheetPages(server, copyId);
      const cells = (pages: AnyFrame[]) =>
        pages.map((page) => [page.page, page.first_cell, page.last_cell]);
      assert.deepEqual(cells(copyPages), cells(originalPages));
      for (const [i, page] of copyPages.entries()) {
        const copied = await server.fetch(page.url);
        const source = await server.fetch(originalPages[i].url);
        assert.deepEqual(
          new Uint8Array(await copied.arrayBuffer()),
          new Uint8Array(await source.arrayBuffer()),
          `page ${page.page}`,
        );
      }
    });

    await t.step("the copy's tag counters continue after the imported tags", async () => {
      const highest = Math.max(
        ...original.assets.map((a: AnyFrame) => a.manifest_tag)
          .filter((tag: string) => tag.startsWith("CHAR_"))
          .map((tag: string) => Number(tag.slice(5))),
      );
      const expected = `CHAR_${String(highest + 1).padStart(2, "0")}`;
      for (const id of [copyId, manifestId]) {
        const created = await server.json("POST", `/api/manifests/${id}/assets`, {
          name: "Stand-in",
          asset_type: "CHARACTER",
        });
        assert.equal(created.status, 201);
        assert.equal(created.body.manifest_tag, expected, id);
      }
    });

    await t.step(
      "the copy can be processed again: 409 on export meanwhile, tags kept",
      async () => {
        const before = await detailOf(server, copyId);
        const started = await server.json("POST", `/api/manifests/${copyId}/process`);
        assert.equal(started.status, 202);
        const busy = await server.fetch(`/api/manifests/${copyId}/export`);
        assert.equal(busy.status, 409);
        assert.equal((await busy.json()).error.code, "manifest_processing");
        const progress = await waitForProgress(server, copyId);
        assert.equal(progress.status, "complete", JSON.stringify(progress));
        const after = await detailOf(server, copyId);
        assert.deepEqual(
          after.assets.map((a: AnyFrame) => a.manifest_tag).sort(),
          before.assets.map((a: AnyFrame) => a.manifest_tag).sort(),
        );
        const locked = (detail: AnyFrame) =>
          identityGroups(detail).filter((group) => JSON.parse(group).locked);
        assert.deepEqual(locked(after), locked(before));
      },
    );

    await t.step("an unknown manifest answers 404", async () => {
      for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
        const missing = await server.json("GET", `/api/manifests/${id}/export`);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.error.code, "manifest_not_found");
      }
    });
  } finally {
    await server.close();
  }
});
