/**
 * Contact sheets in pages, end to end on the demo photos: pages of CONTACT_SHEET_PAGE_SIZE
 * numbered across pages, each served as a JPEG; every asset's thumbnail stored when its image
 * was; a re-run draws no page, and a change draws only its own page; a sheet that cannot be
 * stored leaves the manifest READY with a warning.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { contactSheetSize } from "../src/imaging/contact_sheet.ts";
import { databasePath } from "../src/server.ts";
import { jpegSize } from "./fixtures/image_size.ts";
import { startTestServer, type TestServer } from "./_harness.ts";
import {
  type AnyFrame,
  DEMO_FILES,
  FrameRecorder,
  manifestWithPhotos,
  processAndWait,
  wsUrl,
} from "./_pipeline.ts";

/** Rows of a table of the server's database, read through a separate connection. */
function query<T>(server: TestServer, sql: string, ...params: string[]): T[] {
  const db = new DatabaseSync(databasePath(server.dataDir), { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

type PageRow = { page: number; blob_key: string; fingerprint: string; updated_at: string };

function pageRows(server: TestServer, manifestId: string): PageRow[] {
  return query<PageRow>(
    server,
    "select page, blob_key, fingerprint, updated_at from contact_sheets " +
      "where manifest_id = ? order by page",
    manifestId,
  );
}

Deno.test("the demo photos' contact sheet in pages of 4: numbered on, each a JPEG, redrawn only where it changed", async (t) => {
  const server = await startTestServer({ WORKERS: "2", CONTACT_SHEET_PAGE_SIZE: "4" });
  try {
    const { manifestId, uploadIds } = await manifestWithPhotos(server, DEMO_FILES, "Paged cast");
    const done = await processAndWait(server, manifestId);
    assert.equal(done.status, "complete");
    const manifest = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
    const withImage = manifest.assets.filter((a: AnyFrame) => a.reference_image_url !== null);
    const pageCount = Math.ceil(withImage.length / 4);
    const list = await server.json("GET", `/api/manifests/${manifestId}/contact-sheets`);

    await t.step("the manifest is READY and lists ceil(cells / 4) pages numbered on", () => {
      assert.equal(manifest.status, "READY");
      assert.equal(manifest.contact_sheet_error, null);
      assert.equal(manifest.contact_sheet_url, `/api/manifests/${manifestId}/contact-sheet`);
      assert.equal(list.status, 200);
      assert.ok(pageCount > 2, `${withImage.length} cells`);
      assert.equal(list.body.items.length, pageCount);
      assert.deepEqual(list.body.items[1], {
        page: 2,
        url: `/api/manifests/${manifestId}/contact-sheet?page=2`,
        first_cell: 5,
        last_cell: 8,
      });
      list.body.items.forEach((item: AnyFrame, i: number) => {
        assert.equal(item.page, i + 1);
        assert.equal(item.first_cell, 4 * i + 1);
        assert.equal(item.last_cell, Math.min(4 * i + 4, withImage.length));
      });
    });

    await t.step("every page is a JPEG of its own cells; without a page, page 1", async () => {
      for (const item of list.body.items) {
        const response = await server.fetch(item.url);
        assert.equal(response.status, 200, item.url);
        assert.equal(response.headers.get("content-type"), "image/jpeg");
        assert.ok(response.headers.get("etag"));
        const bytes = new Uint8Array(await response.arrayBuffer());
        const cells = item.last_cell - item.first_cell + 1;
        assert.deepEqual(jpegSize(bytes), contactSheetSize(cells), `page ${item.page}`);
      }
      const first = await server.fetch(`/api/manifests/${manifestId}/contact-sheet`);
      const page1 = await server.fetch(`/api/manifests/${manifestId}/contact-sheet?page=1`);
      assert.deepEqual(
        new Uint8Array(await first.arrayBuffer()),
        new Uint8Array(await page1.arrayBuffer()),
      );
    });

    await t.step(
      "a page that does not exist is a 404, a page that is not a number 422",
      async () => {
        const past = await server.json(
          "GET",
          `/api/manifests/${manifestId}/contact-sheet?page=${pageCount + 1}`,
        );
        assert.equal(past.status, 404);
        assert.equal(past.body.error.code, "contact_sheet_page_not_found");
        assert.match(
          past.body.error.message,
          new RegExp(`has ${pageCount} pages.*1 to ${pageCount}`),
        );
        assert.deepEqual(past.body.error.details, { page: pageCount + 1, pages: pageCount });
        for (const bad of ["abc", "1.5", "0", "-2"]) {
          const reply = await server.json(
            "GET",
            `/api/manifests/${manifestId}/contact-sheet?page=${bad}`,
          );
          assert.equal(reply.status, 422, bad);
          assert.equal(reply.body.error.code, "validation_failed");
        }
        const unknown = crypto.randomUUID();
        for (const path of ["contact-sheet", "contact-sheets"]) {
          const reply = await server.json("GET", `/api/manifests/${unknown}/${path}`);
          assert.equal(reply.status, 404, path);
          assert.equal(reply.body.error.code, "manifest_not_found");
        }
      },
    );

    await t.step("every asset with an image has its 256 px thumbnail stored", async () => {
      const rows = query<{ id: string; image_key: string }>(
        server,
        "select id, image_key from assets where manifest_id = ? and image_key is not null",
        manifestId,
      );
      assert.equal(rows.length, withImage.length);
      for (const row of rows) {
        const path = join(
          server.dataDir,
          "thumbs",
          row.image_key.slice(0, 2),
          `${row.image_key.slice(2)}-256.jpg`,
        );
        const stored = await Deno.readFile(path);
        // The default size is served from the stored thumbnail as it is.
        const served = await server.fetch(`/api/assets/${row.id}/thumbnail`);
        assert.equal(served.status, 200);
        assert.deepEqual(new Uint8Array(await served.arrayBuffer()), stored, row.id);
      }
    });

    await t.step("processing again with nothing changed draws no page", async () => {
      const before = pageRows(server, manifestId);
      assert.equal(before.length, pageCount);
      const again = await processAndWait(server, manifestId);
      assert.equal(again.status, "complete");
      assert.notEqual(again.job_id, done.job_id, "a second job ran");
      assert.deepEqual(pageRows(server, manifestId), before);
    });

    await t.step("renaming and reprocessing one upload draws only the page it is on", async () => {
      const before = pageRows(server, manifestId);
      const upload = uploadIds[2];
      const index = withImage.findIndex((a: AnyFrame) => a.id === upload);
      const page = Math.floor(index / 4) + 1;
      const renamed = await server.json("PUT", `/api/assets/${upload}`, { name: "Renamed photo" });
      assert.equal(renamed.status, 200);
      const reprocessed = await server.json("POST", `/api/assets/${upload}/reprocess`);
      assert.equal(reprocessed.status, 200, JSON.stringify(reprocessed.body));
      const after = pageRows(server, manifestId);
      assert.equal(after.length, before.length);
      for (const [i, row] of after.entries()) {
        if (row.page === page) {
          assert.notEqual(row.blob_key, before[i].blob_key, `page ${page} is drawn again`);
          assert.notEqual(row.fingerprint, before[i].fingerprint);
          const old = join(server.dataDir, before[i].blob_key);
          await assert.rejects(Deno.stat(old), Deno.errors.NotFound, "its old blob is released");
        } else assert.deepEqual(row, before[i], `page ${row.page} is untouched`);
      }
    });
  } finally {
    await server.close();
  }
});

Deno.test("a contact sheet that cannot be stored leaves the manifest READY with a warning", async () => {
  const server = await startTestServer({ OBJECT_DETECTOR: "none" });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg"], "Blocked sheet");
    // A file where the manifest's sheet folder goes: every page fails to be stored.
    const blocker = join(server.dataDir, "sheets", manifestId);
    await Deno.mkdir(join(server.dataDir, "sheets"), { recursive: true });
    await Deno.writeTextFile(blocker, "not a folder");
    const client = new FrameRecorder(wsUrl(server));
    await client.opened;
    client.send({ type: "subscribe", topics: [`manifest:${manifestId}`] });
    await client.waitFor((frames) => frames.some((f) => f.type === "snapshot"));
    try {
      const done = () => client.frames.filter((f) => f.type === "done");
      const progress = await processAndWait(server, manifestId);
      assert.equal(progress.status, "complete");
      await client.waitFor(() => done().length === 1);
      const manifest = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
      assert.equal(manifest.status, "READY");
      assert.equal(manifest.error, null);
      assert.match(
        manifest.contact_sheet_error,
        /^Contact sheet page 1 of 1 could not be drawn: .+ Process the manifest again to retry\.$/,
      );
      assert.equal(manifest.contact_sheet_url, null);
      assert.equal(done()[0].status, "complete");
      assert.deepEqual(done()[0].warnings, [manifest.contact_sheet_error]);
      const list = await server.json("GET", `/api/manifests/${manifestId}/contact-sheets`);
      assert.deepEqual(list.body, { items: [] });
      const sheet = await server.json("GET", `/api/manifests/${manifestId}/contact-sheet`);
      assert.equal(sheet.status, 404);
      assert.equal(sheet.body.error.code, "contact_sheet_not_found");
      assert.match(sheet.body.error.message, /no contact sheet yet\. Contact sheet page 1 of 1/);

      // Once storage works again, the next run draws it and the warning goes.
      await Deno.remove(blocker);
      assert.equal((await processAndWait(server, manifestId)).status, "complete");
      await client.waitFor(() => done().length === 2);
      assert.equal(done()[1].warnings, undefined);
      const fixed = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
      assert.equal(fixed.contact_sheet_error, null);
      assert.equal(fixed.contact_sheet_url, `/api/manifests/${manifestId}/contact-sheet`);
      const page = await server.fetch(fixed.contact_sheet_url);
      assert.equal(page.status, 200);
      await page.body?.cancel();
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
});
