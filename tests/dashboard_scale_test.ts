/**
 * The dashboard at production size, in a real headless Chromium: a manifest of 90 photos and
 * about 735 assets (the six demo photos processed, then copied in the database:
 * tests/_big_manifest.ts). The manifest page stays small in the DOM; search, filters with
 * their counts, the detail panel (arrows, Esc, editing) and people work; a bulk change of
 * type on 50 assets is one request and the grid shows the new tags. Every page passes
 * axe-core with no serious or critical violation. Screenshots go to tests/output/.
 */
import assert from "node:assert/strict";
import type { Page, Request } from "playwright-core";
import { screenshot, waitForCondition, withPage } from "./_browser.ts";
import { assertAccessible } from "./_axe.ts";
import { bigManifest } from "./_big_manifest.ts";
import { startTestServer, type TestServer } from "./_harness.ts";

/** The DOM budget of a manifest page, whatever the number of assets. */
const MAX_ELEMENTS = 4000;

// deno-lint-ignore no-explicit-any
type Json = any;

async function detail(server: TestServer, id: string): Promise<Json> {
  const reply = await server.json("GET", `/api/manifests/${id}`);
  assert.equal(reply.status, 200);
  return reply.body;
}

/** Waits until every tile's image has arrived. */
async function imagesLoaded(page: Page): Promise<void> {
  await waitForCondition(
    page,
    `[...document.querySelectorAll(".tile img")].every((img) => img.complete && img.naturalWidth > 0)`,
  );
}

const elementCount = (page: Page) =>
  page.evaluate<number>("document.getElementsByTagName('*').length");

/** Records the API requests that change something (not GET) until `stop`. */
function recordChanges(page: Page): { stop: () => string[] } {
  const changes: string[] = [];
  const record = (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/") && request.method() !== "GET") {
      changes.push(`${request.method()} ${url.pathname}`);
    }
  };
  page.on("request", record);
  return {
    stop() {
      page.off("request", record);
      return changes;
    },
  };
}

/** Waits until the grid's summary says `text`. */
const summary = (page: Page, text: string) =>
  page.locator(".filter-summary", { hasText: new RegExp(`^${text}$`) }).waitFor();

/** The tags shown on the grid, in order. */
const shownTags = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll(".tile")].map((t) => t.dataset.tag)`);

Deno.test("dashboard at scale: 90 photos, 700+ assets, a small DOM, filters, panel, bulk", async (t) => {
  const server = await startTestServer({ WORKERS: "2" });
  try {
    const big = await bigManifest(server);
    assert.ok(big.assets >= 700, `assets: ${big.assets}`);
    assert.equal(big.uploads, 90);
    const id = big.manifestId;
    const data = await detail(server, id);

    await withPage(async (page, problems) => {
      await t.step("the page shows its first tiles and stays under the DOM budget", async () => {
        await page.goto(`${server.url}/#/manifests/${id}`);
        await page.locator(".tile").nth(59).waitFor();
        await imagesLoaded(page);
        await summary(page, `${big.assets} assets`);
        const elements = await elementCount(page);
        console.log(`manifest page of ${big.assets} assets: ${elements} elements`);
        assert.ok(elements <= MAX_ELEMENTS, `${elements} elements`);
        assert.equal(await page.locator(".tile").count(), 60);
        await page.getByRole("heading", { name: `People (${big.identities})` }).waitFor();
        await screenshot(page, "dashboard-scale");
        await assertAccessible(page, "the manifest page");
      });

      await t.step("filters count what they would show; search finds tags and names", async () => {
        const faces = data.assets.filter((a: Json) => a.extraction_role === "face");
        const option = page.locator('#filter-role option[value="face"]');
        assert.equal(await option.textContent(), `Faces (${faces.length})`);
        await page.locator("#filter-role").selectOption("face");
        await summary(page, `${faces.length} of ${big.assets} assets match`);
        assert.ok((await page.evaluate<string[]>(
          `[...document.querySelectorAll(".tile")].map((t) => t.dataset.role)`,
        )).every((role) => role === "face"));
        // One person's faces: the count the option promised.
        const person = data.identities[0];
        const theirs = faces.filter((a: Json) => a.identity_id === person.id).length;
        const personOption = page.locator(`#filter-person option[value="${person.id}"]`);
        assert.match((await personOption.textContent())!, new RegExp(`\\(${theirs}\\)$`));
        await page.locator("#filter-person").selectOption(person.id);
        await summary(page, `${theirs} of ${big.assets} assets match`);
        // The filters are in the address: a reload shows the same.
        await page.reload();
        await summary(page, `${theirs} of ${big.assets} assets match`);
        await page.getByRole("button", { name: "Clear filters" }).click();
        await summary(page, `${big.assets} assets`);

        await page.getByLabel("Prompt errors only").check();
        await summary(page, `${big.promptErrors} of ${big.assets} assets match`);
        await page.getByLabel("Prompt errors only").uncheck();

        const good = data.assets.filter((a: Json) => a.quality_score >= 7).length;
        await page.locator("#filter-quality").selectOption("good");
        await summary(page, `${good} of ${big.assets} assets match`);
        await page.locator("#filter-quality").selectOption("");

        const target = data.assets.find((a: Json) => a.source === "extracted");
        await page.getByLabel("Search tag or name").fill(target.manifest_tag);
        await summary(page, `1 of ${big.assets} assets match`);
        assert.deepEqual(await shownTags(page), [target.manifest_tag]);
        await page.getByLabel("Search tag or name").fill("take 7");
        const take7 = data.assets.filter((a: Json) => a.name.includes("take 7")).length;
        await summary(page, `${take7} of ${big.assets} assets match`);
        await page.getByRole("button", { name: "Clear filters" }).click();

        // Sorted by quality, best first.
        await page.locator("#asset-sort").selectOption("quality_desc");
        const best = Math.max(...data.assets.map((a: Json) => a.quality_score ?? -1));
        const first = page.locator(".tile").first();
        await first.locator(".badge", { hasText: `Q ${best.toFixed(1)}` }).waitFor();
        await page.locator("#asset-sort").selectOption("photo");
        // Pages: the next page holds the next 60.
        await page.getByRole("button", { name: "Next →" }).click();
        await page.getByText("Page 2 of 13").waitFor();
        await page.getByRole("button", { name: "← Previous" }).click();
        await page.getByText("Page 1 of 13").waitFor();
      });

      await t.step("one detail panel: box on the photo, arrows walk, Esc closes", async () => {
        const tags = await shownTags(page);
        const crop = data.assets.find((a: Json) => a.manifest_tag === tags[1]);
        await page.locator(`.tile[data-tag="${tags[1]}"] .tile-open`).click();
        const panel = page.locator("#asset-detail[open]");
        await panel.locator(`#detail-title [data-tag="${tags[1]}"]`).waitFor();
        assert.match(page.url(), new RegExp(`/assets/${tags[1]}(\\?|$)`));
        // A crop: its box drawn on the photo it was cut from.
        assert.equal(crop.source, "extracted");
        await panel.locator(".photo-frame .box.current").waitFor();
        await panel.getByText(/\d+% *$/).first().waitFor();
        await panel.getByLabel("Reverse prompt").waitFor();
        await waitForCondition(
          page,
          `[...document.querySelectorAll("#asset-detail img")].every((i) => i.complete && i.naturalWidth > 0)`,
        );
        await screenshot(page, "dashboard-scale-detail");
        await assertAccessible(page, "the detail panel");
        await page.keyboard.press("ArrowRight");
        await panel.locator(`#detail-title [data-tag="${tags[2]}"]`).waitFor();
        await page.keyboard.press("ArrowLeft");
        await page.keyboard.press("ArrowLeft");
        await panel.locator(`#detail-title [data-tag="${tags[0]}"]`).waitFor();
        await page.getByText(`1 of ${big.assets}`).waitFor();
        await page.keyboard.press("Escape");
        await page.locator("#asset-detail[open]").waitFor({ state: "detached" });
        // The focus is back on the tile of the asset last shown.
        await page.locator(`.tile[data-tag="${tags[0]}"] .tile-open:focus`).waitFor();
        assert.doesNotMatch(page.url(), /\/assets\//);
        // The keyboard alone: arrows between tiles, Enter opens.
        await page.keyboard.press("ArrowRight");
        await page.keyboard.press("Enter");
        await panel.locator(`#detail-title [data-tag="${tags[1]}"]`).waitFor();
        await page.keyboard.press("Escape");
      });

      await t.step("a bulk change of type on 50 assets is one request", async () => {
        const tags = await shownTags(page);
        const chosen = tags.slice(5, 55);
        for (const tag of chosen) {
          await page.locator(`.tile[data-tag="${tag}"] .tile-check`).check();
        }
        await page.getByText("50 selected").waitFor();
        const requests: string[] = [];
        const record = (request: Request) => {
          const url = new URL(request.url());
          // Thumbnails of tiles redrawn may be asked again; everything else counts.
          if (url.pathname.startsWith("/api/") && !/\/(thumbnail|image)$/.test(url.pathname)) {
            requests.push(`${request.method()} ${url.pathname}`);
          }
        };
        page.on("request", record);
        await page.locator("#bulk-type").selectOption("PROP");
        await page.getByRole("button", { name: "Change type" }).click();
        await page.getByText("50 assets are now PROP").waitFor();
        page.off("request", record);
        assert.deepEqual(requests, [`POST /api/manifests/${id}/assets/bulk`]);
        const after = await detail(server, id);
        const ids = new Set(
          chosen.map((tag) => data.assets.find((a: Json) => a.manifest_tag === tag).id),
        );
        const changed = after.assets.filter((a: Json) => ids.has(a.id));
        assert.equal(changed.length, 50);
        assert.ok(changed.every((a: Json) => a.asset_type === "PROP"));
        // The grid shows the new tags where the old ones were.
        const now = await shownTags(page);
        assert.deepEqual(
          now.slice(5, 55).sort(),
          changed.map((a: Json) => a.manifest_tag).sort(),
        );
        assert.ok(now.slice(5, 55).every((tag) => tag.startsWith("PROP_")));
        await screenshot(page, "dashboard-scale-bulk");
      });

      await t.step("people: dragging one onto another merges them in one request", async () => {
        const [from, into] = data.identities;
        const changes = recordChanges(page);
        await page.locator(`.person[data-identity-id="${from.id}"]`)
          .dragTo(page.locator(`.person[data-identity-id="${into.id}"]`));
        await page.getByText("Person 1 merged into Person 2.").waitFor();
        await page.getByRole("heading", { name: `People (${big.identities - 1})` }).waitFor();
        assert.deepEqual(changes.stop(), [`POST /api/manifests/${id}/identities/merge`]);
        const people = (await detail(server, id)).identities;
        assert.equal(people.length, big.identities - 1);
        assert.equal(
          people.find((p: Json) => p.id === into.id).member_count,
          from.member_count + into.member_count,
        );
        await assertAccessible(page, "the people after a merge");
      });

      await t.step("a bulk delete is one request too", async () => {
        const before = await detail(server, id);
        await page.locator("#filter-role").selectOption("object");
        const objects = before.assets.filter((a: Json) => a.extraction_role === "object").length;
        await summary(page, `${objects} of ${before.assets.length} assets match`);
        await page.getByRole("button", { name: "Select all shown" }).click();
        await page.getByText(`${objects} selected`).waitFor();
        const changes = recordChanges(page);
        await page.locator(".bulk-actions").getByRole("button", { name: "Delete" }).click();
        await page.locator("#confirm-dialog").getByRole("button", {
          name: `Delete ${objects} assets`,
        })
          .click();
        await page.getByText(`Deleted ${objects} assets (crops included).`).waitFor();
        assert.deepEqual(changes.stop(), [`POST /api/manifests/${id}/assets/bulk`]);
        await summary(page, `0 of ${before.assets.length - objects} assets match`);
        await page.getByText("No asset matches.").waitFor();
        assert.equal((await detail(server, id)).asset_count, before.assets.length - objects);
        await page.getByRole("button", { name: "Clear filters" }).click();
      });

      await t.step("the contact sheet opens on its first page", async () => {
        await page.getByRole("button", { name: "Contact sheet" }).click();
        const dialog = page.locator("#sheet-dialog[open]");
        await dialog.getByText(/^Big cast: \d+ × \d+ px/).waitFor();
        await assertAccessible(page, "the contact sheet viewer");
        await page.keyboard.press("Escape");
        await page.locator("#sheet-dialog[open]").waitFor({ state: "detached" });
      });

      assert.deepEqual(problems, [], "the page logged no errors");
    });
  } finally {
    await server.close();
  }
});
