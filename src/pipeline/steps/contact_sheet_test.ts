/**
 * Contact sheet pages on a real database, blob store and worker pool: numbering across pages,
 * only changed pages drawn again, pages past the last deleted and their blobs released, a
 * missing thumbnail drawn as a placeholder, and a sheet that cannot be drawn kept as a warning.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MagickColor, MagickFormat, MagickImage } from "@imagemagick/magick-wasm";
import { type Db, migrateToLatest, openDatabase } from "../../db/database.ts";
import { startEnginePool } from "../../engine/engine_pool.ts";
import { fontPaths } from "../../imaging/fonts.ts";
import { initMagick } from "../../imaging/magick_ops.ts";
import { setLogSink } from "../../log.ts";
import { thumbnailBlobKey } from "../../registry/blob_refs.ts";
import { LocalBlobStore } from "../../storage/blob_store.ts";
import { imageSize } from "../../../tests/fixtures/image_size.ts";
import { contactSheetSize } from "../../imaging/contact_sheet.ts";
import { planPages, refreshContactSheet, type SheetCell } from "./contact_sheet.ts";

const NOW = "2026-01-01T00:00:00.000Z";
const HEADING = { title: "PROJECT REFERENCE SHEET", subtitle: "Noir short" };

const cellsOf = (count: number): SheetCell[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `Asset ${i + 1}`,
    assetType: "PROP",
    tag: `PROP_${String(i + 1).padStart(2, "0")}`,
    thumbnailKey: `thumbs/aa/${i}-256.jpg`,
  }));

Deno.test("planPages: pages of pageSize, numbered on, fingerprints that only follow their cells", async () => {
  const cells = cellsOf(10);
  const pages = await planPages(cells, 4, HEADING);
  assert.deepEqual(pages.map((p) => [p.page, p.firstCell, p.lastCell, p.cells.length]), [
    [1, 1, 4, 4],
    [2, 5, 8, 4],
    [3, 9, 10, 2],
  ]);
  assert.deepEqual(pages[1].cells, cells.slice(4, 8));

  const renamed = cells.map((cell, i) => i === 5 ? { ...cell, name: "Renamed" } : cell);
  const after = await planPages(renamed, 4, HEADING);
  assert.deepEqual(after.map((p, i) => p.fingerprint === pages[i].fingerprint), [
    true,
    false,
    true,
  ]);
  const thumbnailGone = cells.map((cell, i) => i === 0 ? { ...cell, thumbnailKey: null } : cell);
  assert.deepEqual(
    (await planPages(thumbnailGone, 4, HEADING)).map((p, i) =>
      p.fingerprint === pages[i].fingerprint
    ),
    [false, true, true],
  );
  // Adding cells at the end leaves full pages alone; the page size and the heading move all.
  const grown = await planPages(cellsOf(12), 4, HEADING);
  assert.deepEqual(grown.map((p, i) => p.fingerprint === pages[i]?.fingerprint), [
    true,
    true,
    false,
  ]);
  const resized = await planPages(cells, 5, HEADING);
  assert.ok(resized.every((p, i) => p.fingerprint !== pages[i]?.fingerprint));
  const retitled = await planPages(cells, 4, { ...HEADING, subtitle: "Other" });
  assert.ok(retitled.every((p, i) => p.fingerprint !== pages[i].fingerprint));

  const empty = await planPages([], 4, HEADING);
  assert.deepEqual(empty.map((p) => [p.page, p.firstCell, p.lastCell]), [[1, 1, 0]]);
  await assert.rejects(planPages(cells, 0, HEADING), RangeError);
});

/** A migrated database, a blob store and a pool with (or without) fonts, all cleaned up. */
async function withSheetDeps(
  use: (env: {
    db: Db;
    blobs: LocalBlobStore;
    deps: Parameters<typeof refreshContactSheet>[0];
    noFonts: Parameters<typeof refreshContactSheet>[0];
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "contact_sheet_test_" });
  const db = openDatabase(join(dir, "test.db"));
  const pool = startEnginePool({ size: 1, name: "sheet-test", init: { fonts: await fontPaths() } });
  const bare = startEnginePool({ size: 1, name: "sheet-test-no-fonts" });
  try {
    await migrateToLatest(db);
    await Promise.all([pool.ready(), bare.ready()]);
    const blobs = new LocalBlobStore(dir);
    await use({
      db,
      blobs,
      deps: { db, blobs, pool, contactSheetPageSize: 4 },
      noFonts: { db, blobs, pool: bare, contactSheetPageSize: 4 },
    });
  } finally {
    pool.close();
    bare.close();
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

await initMagick();

/** A small JPEG of one colour. */
function jpeg(colour: string): Uint8Array {
  const image = MagickImage.create(new MagickColor(colour), 64, 48);
  try {
    return image.write(MagickFormat.Jpeg, (data) => data.slice());
  } finally {
    image.dispose();
  }
}

/** A manifest with `count` assets, each with an image whose thumbnail is stored. */
async function manifestWithAssets(db: Db, blobs: LocalBlobStore, count: number) {
  const manifestId = crypto.randomUUID();
  await db.insertInto("manifests").values({
    id: manifestId,
    name: "Noir short",
    created_at: NOW,
    updated_at: NOW,
  }).execute();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    const imageKey = `${i.toString(16).padStart(2, "0")}${"0".repeat(62)}`;
    await db.insertInto("assets").values({
      id,
      manifest_id: manifestId,
      asset_type: "PROP",
      name: `Asset ${i + 1}`,
      manifest_tag: `PROP_${String(i + 1).padStart(2, "0")}`,
      sort_order: i,
      image_key: imageKey,
      created_at: NOW,
      updated_at: NOW,
    }).execute();
    await blobs.put(thumbnailBlobKey(imageKey, 256), jpeg(i % 2 ? "#3060c0" : "#c06030"));
    ids.push(id);
  }
  return { manifestId, ids };
}

async function pagesOf(db: Db, manifestId: string) {
  return await db.selectFrom("contact_sheets").selectAll().where("manifest_id", "=", manifestId)
    .orderBy("page").execute();
}

Deno.test("refreshContactSheet draws only the pages that changed and drops the ones past the last", async () => {
  await withSheetDeps(async ({ db, blobs, deps }) => {
    const { manifestId, ids } = await manifestWithAssets(db, blobs, 10);

    const first = await refreshContactSheet(deps, manifestId);
    assert.deepEqual(first, { pages: 3, drawn: [1, 2, 3], warning: null });
    const pages = await pagesOf(db, manifestId);
    assert.deepEqual(pages.map((p) => [p.page, p.first_cell, p.last_cell]), [
      [1, 1, 4],
      [2, 5, 8],
      [3, 9, 10],
    ]);
    for (const page of pages) {
      const bytes = (await blobs.get(page.blob_key))!;
      const cells = page.last_cell - page.first_cell + 1;
      assert.deepEqual(imageSize(bytes), { format: "jpeg", ...contactSheetSize(cells) });
      assert.match(page.blob_key, new RegExp(`^sheets/${manifestId}/[0-9a-f]{32}\\.jpg$`));
    }
    const manifest = await db.selectFrom("manifests").selectAll().where("id", "=", manifestId)
      .executeTakeFirstOrThrow();
    assert.equal(manifest.contact_sheet_key, pages[0].blob_key);
    assert.equal(manifest.contact_sheet_url, `/api/manifests/${manifestId}/contact-sheet`);
    assert.equal(manifest.contact_sheet_error, null);

    assert.deepEqual(await refreshContactSheet(deps, manifestId), {
      pages: 3,
      drawn: [],
      warning: null,
    });
    assert.deepEqual(await pagesOf(db, manifestId), pages, "nothing was written");

    // Asset 6 is on page 2; its thumbnail goes missing too: a placeholder, not a failure.
    await db.updateTable("assets").set({ name: "Renamed" }).where("id", "=", ids[5]).execute();
    const sixth = await db.selectFrom("assets").select("image_key").where("id", "=", ids[6])
      .executeTakeFirstOrThrow();
    await blobs.delete(thumbnailBlobKey(sixth.image_key!, 256));
    assert.deepEqual((await refreshContactSheet(deps, manifestId)).drawn, [2]);
    const changed = await pagesOf(db, manifestId);
    assert.deepEqual([changed[0], changed[2]], [pages[0], pages[2]]);
    assert.notEqual(changed[1].blob_key, pages[1].blob_key);
    assert.equal(await blobs.has(pages[1].blob_key), false, "the replaced page's blob is released");

    // A page whose blob is gone is drawn again although nothing in it changed.
    await blobs.delete(changed[0].blob_key);
    assert.deepEqual((await refreshContactSheet(deps, manifestId)).drawn, [1]);

    await db.deleteFrom("assets").where("id", "in", ids.slice(7)).execute();
    assert.deepEqual(await refreshContactSheet(deps, manifestId), {
      pages: 2,
      drawn: [2],
      warning: null,
    });
    const shrunk = await pagesOf(db, manifestId);
    assert.deepEqual(shrunk.map((p) => [p.page, p.first_cell, p.last_cell]), [[1, 1, 4], [
      2,
      5,
      7,
    ]]);
    assert.equal(await blobs.has(pages[2].blob_key), false, "page 3's blob is released");
  });
});

Deno.test("a sheet that cannot be drawn is a warning on the manifest, cleared once it is drawn", async () => {
  await withSheetDeps(async ({ db, blobs, deps, noFonts }) => {
    const { manifestId } = await manifestWithAssets(db, blobs, 5);
    const logged: string[] = [];
    const previous = setLogSink((line) => logged.push(line));
    const failed = await refreshContactSheet(noFonts, manifestId).finally(() =>
      setLogSink(previous)
    );
    assert.match(logged.join("\n"), /"level":"warn","msg":"Contact sheet pages could not be drawn/);
    assert.equal(failed.pages, 2);
    assert.deepEqual(failed.drawn, []);
    assert.match(
      failed.warning!,
      /^Contact sheet pages 1, 2 of 2 could not be drawn: .*font DejaVuSans.* Process the manifest again to retry\.$/,
    );
    const row = () =>
      db.selectFrom("manifests").selectAll().where("id", "=", manifestId).executeTakeFirstOrThrow();
    assert.equal((await row()).contact_sheet_error, failed.warning);
    assert.equal((await row()).contact_sheet_url, null);
    assert.deepEqual(await pagesOf(db, manifestId), []);

    const drawn = await refreshContactSheet(deps, manifestId);
    assert.deepEqual(drawn, { pages: 2, drawn: [1, 2], warning: null });
    assert.equal((await row()).contact_sheet_error, null);

    // Failing again keeps the pages drawn before (stale, but there) and says so.
    await db.updateTable("manifests").set({ name: "Renamed" }).where("id", "=", manifestId)
      .execute();
    setLogSink(() => {});
    const again = await refreshContactSheet(noFonts, manifestId).finally(() =>
      setLogSink(previous)
    );
    assert.match(again.warning!, /pages 1, 2 of 2/);
    assert.equal((await pagesOf(db, manifestId)).length, 2);
    assert.ok((await row()).contact_sheet_url);
  });
});
