/**
 * The dashboard's bundle controls in headless Chromium: a manifest's page offers its bundle
 * for download, and the library imports it as a new manifest and opens it; a file that is
 * not a bundle is refused in words.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { screenshot, withPage } from "./_browser.ts";
import { startTestServer } from "./_harness.ts";
import { manifestWithPhotos } from "./_pipeline.ts";
import { unzip } from "./_bundles.ts";

Deno.test("dashboard: export a manifest's bundle from its page, import it from the library", async () => {
  const server = await startTestServer();
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample1.jpg", "sample2.jpg"]);
    await withPage(async (page, problems) => {
      await page.goto(`${server.url}/#/manifests/${manifestId}`);
      const link = page.locator("#manifest-export");
      await link.waitFor();
      assert.equal(await link.getAttribute("href"), `/api/manifests/${manifestId}/export`);
      const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
      // The browser takes the UTF-8 name (`filename*`) over the ASCII fallback.
      assert.equal(download.suggestedFilename(), "Demo cast-bundle.zip");
      const path = await download.path();
      const bundle = await Deno.readFile(path);
      assert.ok((await unzip(bundle)).has("manifest.json"));

      await page.goto(`${server.url}/#/`);
      const input = page.locator("#import-file");
      await input.setInputFiles({
        name: "notes.zip",
        mimeType: "application/zip",
        buffer: Buffer.from("not a zip at all"),
      });
      await page.getByRole("button", { name: "Import bundle" }).click();
      await page.getByText("Not imported: The file is not a ZIP archive").waitFor();

      await input.setInputFiles(path);
      await page.getByRole("button", { name: "Import bundle" }).click();
      await page.waitForURL((url) =>
        /#\/manifests\/[0-9a-f-]{36}$/.test(url.hash) &&
        !url.hash.endsWith(manifestId)
      );
      const copyId = page.url().split("/").pop()!;
      await page.locator("#manifest-export").waitFor();
      await screenshot(page, "bundle-imported");
      const copy = await server.json("GET", `/api/manifests/${copyId}`);
      assert.deepEqual(
        copy.body.assets.map((a: { manifest_tag: string }) => a.manifest_tag),
        ["CHAR_01", "CHAR_02"],
      );
      assert.deepEqual(problems, []);
    });
  } finally {
    await server.close();
  }
});
