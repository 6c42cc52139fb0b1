/**
 * The dashboard's contact sheet pages, in a real headless Chromium: a manifest whose sheet has
 * three pages (stored directly, without processing) lists them with their cells, opens page 1
 * full size, switches to any other, and shows the warning of a page that could not be drawn.
 */
import assert from "node:assert/strict";
import { screenshot, withPage } from "./_browser.ts";
import { jpegSize } from "./fixtures/image_size.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { startTestServer } from "./_harness.ts";

const WARNING = "Contact sheet page 3 of 3 could not be drawn: the disk is full. The other " +
  "pages are up to date. Process the manifest again to retry.";

Deno.test("dashboard: the contact sheet's pages are listed and each opens full size", async () => {
  const server = await startTestServer();
  try {
    const created = await server.json("POST", "/api/manifests", { name: "Long shoot" });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const { db, blobs } = server.services;
    const photos = ["faces.jpg", "psmove.jpg", "sample1.jpg"];
    const at = new Date().toISOString();
    for (const [i, file] of photos.entries()) {
      // Any JPEG does as a page: the dashboard only shows it.
      const key = `sheets/${id}/${String(i + 1).padStart(32, "0")}.jpg`;
      await blobs.put(key, await fixturePhoto(file));
      await db.insertInto("contact_sheets").values({
        manifest_id: id,
        page: i + 1,
        first_cell: 4 * i + 1,
        last_cell: i === 2 ? 10 : 4 * i + 4,
        blob_key: key,
        fingerprint: "seeded",
        created_at: at,
        updated_at: at,
      }).execute();
    }
    await db.updateTable("manifests").set({
      status: "READY",
      contact_sheet_key: `sheets/${id}/${"1".padStart(32, "0")}.jpg`,
      contact_sheet_url: `/api/manifests/${id}/contact-sheet`,
      contact_sheet_error: WARNING,
    }).where("id", "=", id).execute();
    const second = jpegSize(await fixturePhoto(photos[1]))!;

    await withPage(async (page, problems) => {
      await page.goto(`${server.url}/#/manifests/${id}`);
      await page.locator(".manifest-head .sheet-warning", { hasText: WARNING }).waitFor();

      await page.getByRole("button", { name: "Contact sheet" }).click();
      const dialog = page.locator("#sheet-dialog");
      await dialog.getByText(/^Long shoot: \d+ × \d+ px · Page 1 of 3 · cells 1–4$/).waitFor();
      await dialog.getByRole("alert").filter({ hasText: WARNING }).waitFor();
      const buttons = dialog.locator("#sheet-pages").getByRole("button");
      assert.deepEqual(await buttons.allTextContents(), [
        "Page 1 of 3 · cells 1–4",
        "Page 2 of 3 · cells 5–8",
        "Page 3 of 3 · cells 9–10",
      ]);
      assert.equal(await buttons.nth(0).getAttribute("aria-current"), "page");

      await dialog.getByRole("button", { name: "Page 2 of 3 · cells 5–8" }).click();
      await dialog.getByText(
        `Long shoot: ${second.width} × ${second.height} px · Page 2 of 3 · cells 5–8`,
      ).waitFor();
      assert.equal(await buttons.nth(1).getAttribute("aria-current"), "page");
      assert.equal(await buttons.nth(0).getAttribute("aria-current"), null);
      assert.match(
        (await dialog.locator("#sheet-open").getAttribute("href"))!,
        new RegExp(`/api/manifests/${id}/contact-sheet\\?page=2&`),
      );
      await screenshot(page, "dashboard-contact-sheet-pages");
      await dialog.getByRole("button", { name: "Close" }).click();
      await screenshot(page, "dashboard-contact-sheet-warning");
      await page.getByRole("button", { name: "Contact sheet" }).click();
      await dialog.getByRole("button", { name: "Close" }).click();
      assert.deepEqual(problems, []);
    });
  } finally {
    await server.close();
  }
});
