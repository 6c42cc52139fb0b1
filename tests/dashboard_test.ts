/**
 * The dashboard end to end, in a real headless Chromium against a real service:
 * a person creates a manifest, uploads photos, processes them and watches it live, looks at
 * the crops, the contact sheet and the people, reprocesses and merges; a reload and a dropped
 * socket mid-run pick the progress up again; a bad file is refused next to its name; a
 * project is made and its storyboard (written by a fake Gemini) shown scene by scene; the
 * access token is asked for once. Screenshots go to tests/output/.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Locator, Page, Request } from "playwright-core";
import { screenshot, waitForCondition, withPage } from "./_browser.ts";
import { assertAccessible } from "./_axe.ts";
import { ASSET_TYPES } from "../src/db/vocabulary.ts";
import { startTestServer, type TestServer } from "./_harness.ts";
import { DEMO_FILES, manifestWithPhotos, processAndWait, waitForProgress } from "./_pipeline.ts";
import { fixturePhoto, fixturePhotoPath } from "./fixtures/photos.ts";
import { startFakeGemini } from "./fakes/fake_gemini.ts";
import { storyboardAnswer } from "./fakes/storyboard_answer.ts";

/** Processing runs on 2 cores, maybe beside other test files: wait generously. */
const SLOW = { timeout: 240_000 };
const STEPS = [
  "contact_sheet",
  "yolo_detection",
  "face_matching",
  "reverse_prompting",
  "finalizing",
];

// deno-lint-ignore no-explicit-any
type Json = any;

/** Waits until every step row of the progress panel says Done and the job is Complete. */
async function waitForCompletion(page: Page): Promise<void> {
  for (const step of STEPS) {
    await page.locator(`li[data-step="${step}"]`, { hasText: "Done" }).waitFor(SLOW);
  }
  await page.locator(".job-status", { hasText: "Complete" }).waitFor(SLOW);
}

/** The tile of the asset tagged `tag` in the grid. */
function tile(page: Page, tag: string): Locator {
  return page.locator(`.tile[data-tag="${tag}"]`);
}

/** The asset's detail panel, once open. */
function panel(page: Page): Locator {
  return page.locator("#asset-detail[open]");
}

/** Opens the detail panel of the asset `id` from its tile. */
async function openAsset(page: Page, id: string): Promise<Locator> {
  await page.locator(`.tile[data-asset-id="${id}"] .tile-open`).click();
  await page.locator(`#asset-detail[open][data-asset-id="${id}"]`).waitFor();
  return panel(page);
}

/** A demo photo as a file the page's file input receives, optionally renamed. */
async function filePayload(file: string, name = file) {
  return { name, mimeType: "image/jpeg", buffer: Buffer.from(await fixturePhoto(file)) };
}

async function apiJson(server: TestServer, path: string): Promise<Json> {
  const reply = await server.json("GET", path);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

Deno.test("dashboard: a manifest from upload to merged people, live through a reload and a drop", async (t) => {
  const server = await startTestServer({ WORKERS: "2" });
  try {
    await withPage(async (page, problems) => {
      let manifestId = "";

      await t.step("create a manifest, upload three photos, process it live", async () => {
        const answer = await page.goto(`${server.url}/`);
        // The whole walk-through runs under the policy: a refused inline style or script
        // would be a console error, and `problems` must stay empty.
        assert.match(answer?.headers()["content-security-policy"] ?? "", /style-src 'self'/);
        await page.getByText("No manifests yet").waitFor();
        await page.getByLabel("Name", { exact: true }).fill("Demo cast");
        await page.getByRole("button", { name: "Create manifest" }).click();
        await page.waitForURL(/#\/manifests\/[0-9a-f-]{36}$/, SLOW);
        manifestId = page.url().split("/").pop()!;
        await page.locator(".job-status", { hasText: "Not processed yet" }).waitFor();

        const files = DEMO_FILES.slice(0, 3);
        await page.setInputFiles("#file-input", files.map(fixturePhotoPath));
        for (const file of files) {
          const row = page.locator(`.upload-row[data-file="${file}"]`);
          await row.getByText(`Uploaded as “${file.replace(".jpg", "")}”`).waitFor(SLOW);
        }
        await page.locator('.tile[data-role="upload"]').nth(2).waitFor();

        await page.getByRole("button", { name: "Process", exact: true }).click();
        await page.locator(".job-status", { hasText: "Running step" }).waitFor(SLOW);
        await screenshot(page, "dashboard-processing");
        await waitForCompletion(page);

        const progress = await apiJson(server, `/api/manifests/${manifestId}/progress`);
        const c = progress.progress;
        assert.equal(c.uploads_total, 3);
        await page.locator('[data-counter="uploads"]', { hasText: "3 / 3" }).waitFor();
        await page.locator('[data-counter="crops"]', {
          hasText: `${c.crops_total} / ${c.crops_total}`,
        }).waitFor();
        await page.locator('[data-counter="face_merges"]', { hasText: String(c.face_merges) })
          .waitFor();
        await page.locator(".manifest-head .badge", { hasText: "Ready" }).waitFor(SLOW);
      });

      await t.step(
        "the grid shows every crop with its tag; a photo's panel draws its boxes",
        async () => {
          const manifest = await apiJson(server, `/api/manifests/${manifestId}`);
          const crops = manifest.assets.filter((a: Json) => a.source === "extracted");
          assert.ok(crops.length >= 6, `crops: ${crops.length}`);
          for (const crop of crops) {
            await tile(page, crop.manifest_tag).locator(".tag-chip", { hasText: crop.manifest_tag })
              .waitFor(SLOW);
          }
          assert.equal(await page.locator('.tile:not([data-role="upload"])').count(), crops.length);
          // One photo: the photo filter shows it with exactly the crops cut from it, and its
          // panel draws one box per crop.
          const first = manifest.assets.find((a: Json) => a.name === "sample1");
          const under = (a: Json): boolean =>
            a.source_asset_id === first.id ||
            manifest.assets.some((p: Json) => p.id === a.source_asset_id && under(p));
          const own = crops.filter(under).length;
          await page.locator("#filter-photo").selectOption(first.id);
          await page.locator(".filter-summary", {
            hasText: `${own + 1} of ${manifest.assets.length} assets match`,
          }).waitFor();
          assert.equal(await page.locator(".tile").count(), own + 1);
          const photo = await openAsset(page, first.id);
          assert.equal(await photo.locator(".photo-frame .box").count(), own);
          await page.keyboard.press("Escape");
          await page.getByRole("button", { name: "Clear filters" }).click();
          // A face: its detection, and its box on the photo it was cut from.
          const face = crops.find((a: Json) => a.extraction_role === "face");
          const shown = await openAsset(page, face.id);
          await shown.getByText(/face \d+%/).waitFor();
          await shown.locator(".photo-frame .box.current").waitFor();
          await page.keyboard.press("Escape");
        },
      );

      await t.step("the contact sheet opens full size", async () => {
        await page.getByRole("button", { name: "Contact sheet" }).click();
        await page.getByText(/Demo cast: \d+ × \d+ px/).waitFor(SLOW);
        // Three photos fit on one page; the list names it with its cells.
        const pages = page.locator("#sheet-pages");
        await pages.getByRole("button", { name: /^Page 1 of 1 · cells 1–\d+$/ }).waitFor(SLOW);
        const width = await page.evaluate<number>(
          `document.querySelector("#sheet-image").naturalWidth`,
        );
        assert.ok(width > 0);
        await page.locator("#sheet-dialog").getByRole("button", { name: "Close" }).click();
      });

      await t.step("one crop is reprocessed and keeps its tag", async () => {
        const manifest = await apiJson(server, `/api/manifests/${manifestId}`);
        const crop = manifest.assets.find((a: Json) => a.extraction_role === "person");
        const shown = await openAsset(page, crop.id);
        await page.getByRole("button", { name: `Reprocess ${crop.manifest_tag}` }).click();
        await shown.getByText("Reprocessed").waitFor(SLOW);
        await page.keyboard.press("Escape");
        await waitForCompletion(page);
        const after = await apiJson(server, `/api/assets/${crop.id}`);
        assert.equal(after.manifest_tag, crop.manifest_tag);
        const again = await apiJson(server, `/api/manifests/${manifestId}`);
        assert.equal(again.assets.length, manifest.assets.length, "no duplicate crops");
      });

      await t.step("two people are merged into one", async () => {
        const before = (await apiJson(server, `/api/manifests/${manifestId}/identities`)).items;
        assert.ok(before.length >= 2, `identities: ${before.length}`);
        const [from, into] = before;
        await page.getByRole("heading", { name: `People (${before.length})` }).waitFor();
        // Several people are merged by selecting them and choosing who they become.
        await page.getByRole("checkbox", { name: "Select Person 1 to merge" }).check();
        await page.getByRole("checkbox", { name: "Select Person 2 to merge" }).check();
        await page.locator("#merge-into").selectOption(into.id);
        await page.locator(".merge-bar").getByRole("button", { name: "Merge" }).click();
        await page.getByText("Person 1 merged into Person 2.").waitFor(SLOW);
        await page.getByRole("heading", { name: `People (${before.length - 1})` }).waitFor(SLOW);
        const after = (await apiJson(server, `/api/manifests/${manifestId}/identities`)).items;
        assert.equal(after.length, before.length - 1);
        assert.ok(!after.some((i: Json) => i.id === from.id));
        const merged = after.find((i: Json) => i.id === into.id);
        assert.equal(merged.member_count, from.member_count + into.member_count);
        assert.equal(merged.locked, true);
        // A person is named in place; the name replaces "Person N" everywhere.
        await page.getByRole("button", { name: "Rename Person 1" }).click();
        await assertAccessible(page, "the people, renaming one");
        await page.getByRole("textbox", { name: "Name of Person 1" }).fill("Ann Lee");
        await page.keyboard.press("Enter");
        await page.getByText("Person 1 is now called Ann Lee.").waitFor(SLOW);
        await page.getByRole("button", { name: "Ann Lee: show their assets" }).click();
        await page.locator("#filter-person option:checked", { hasText: "Ann Lee" })
          .waitFor({ state: "attached" });
        await page.getByRole("button", { name: "Clear filters" }).click();
        const named = (await apiJson(server, `/api/manifests/${manifestId}/identities`)).items;
        assert.ok(named.some((i: Json) => i.name === "Ann Lee" && i.locked));
        await screenshot(page, "dashboard-grid");
        await assertAccessible(page, "the manifest page with its people");
      });

      await t.step("names and tags are edited and saved once typing pauses", async () => {
        const puts: string[] = [];
        const count = (request: Request) => {
          if (request.method() === "PUT") puts.push(request.url());
        };
        page.on("request", count);
        const name = page.getByLabel("Manifest name");
        await name.press("End");
        await name.pressSequentially(" (night)", { delay: 30 });
        await page.locator(".manifest-head .save-status", { hasText: "Saved" }).waitFor(SLOW);
        await page.locator(".crumbs", { hasText: "Demo cast (night)" }).waitFor();
        const manifest = await apiJson(server, `/api/manifests/${manifestId}`);
        const upload = manifest.assets.find((a: Json) => a.name === "sample1");
        const uploadPanel = await openAsset(page, upload.id);
        await page.locator("#detail-user_tags").pressSequentially("lead, red coat", { delay: 30 });
        await uploadPanel.locator(".save-status", { hasText: "Saved" }).waitFor(SLOW);
        await page.keyboard.press("Escape");
        page.off("request", count);
        // One save per pause, not one per key: 22 keys typed without pausing.
        assert.ok(puts.length >= 2 && puts.length <= 6, `${puts.length} PUTs for 22 keys`);
        assert.equal(
          (await apiJson(server, `/api/manifests/${manifestId}`)).name,
          "Demo cast (night)",
        );
        const saved = await apiJson(server, `/api/assets/${upload.id}`);
        assert.deepEqual(saved.user_tags, ["lead", "red coat"]);
        // The type list is the API's own (read from /openapi.json); a choice saves at once.
        const crop = manifest.assets.find((a: Json) => a.source === "extracted");
        const cropPanel = await openAsset(page, crop.id);
        const typeSelect = page.locator("#detail-asset_type");
        assert.deepEqual(await typeSelect.locator("option").allTextContents(), [...ASSET_TYPES]);
        // Arrow keys pass over types without saving each one: every saved type takes a new
        // tag number for good, so coming back to the first type must keep the first tag.
        const [away, back] = crop.asset_type === "OTHER"
          ? ["ArrowUp", "ArrowDown"]
          : ["ArrowDown", "ArrowUp"];
        await typeSelect.focus();
        await page.keyboard.press(away);
        await page.keyboard.press(back);
        await page.keyboard.press("Tab");
        await cropPanel.locator(".save-status", { hasText: "Saved" }).waitFor(SLOW);
        assert.equal(
          (await apiJson(server, `/api/assets/${crop.id}`)).manifest_tag,
          crop.manifest_tag,
        );
        await typeSelect.selectOption("PROP");
        await cropPanel.locator("#detail-title .tag-chip", { hasText: /^PROP_\d+$/ }).waitFor(SLOW);
        const retyped = await apiJson(server, `/api/assets/${crop.id}`);
        assert.equal(retyped.asset_type, "PROP");
        assert.match(retyped.manifest_tag, /^PROP_\d+$/);
        // The grid shows the new tag too.
        await page.keyboard.press("Escape");
        await tile(page, retyped.manifest_tag).waitFor();
      });

      await t.step(
        "a reload and a dropped socket mid-processing: the progress view resumes",
        async () => {
          const { manifestId: id } = await manifestWithPhotos(server, DEMO_FILES, "Reload test");
          await page.goto(`${server.url}/#/manifests/${id}`);
          await page.locator('.tile[data-role="upload"]').nth(5).waitFor();
          await page.getByRole("button", { name: "Process", exact: true }).click();
          await page.locator('li[data-step="yolo_detection"][data-state="started"]').waitFor(SLOW);
          await page.reload();
          // The first frame after the reload already shows where the job is.
          await page.locator('li[data-step="contact_sheet"]', { hasText: "Done" }).waitFor(SLOW);
          // The server drops every socket: the page reconnects by itself and resumes.
          server.services.websocket.closeAll(1012, "Restarting: reconnect with since.");
          await waitForCompletion(page);
          await page.locator("#live-status", { hasText: "Live" }).waitFor(SLOW);
          await page.locator(".manifest-head .badge", { hasText: "Ready" }).waitFor(SLOW);
          const final = await waitForProgress(server, id);
          await page.locator('[data-counter="uploads"]', { hasText: "6 / 6" }).waitFor();
          await page.locator('[data-counter="crops"]', {
            hasText: `${final.progress.crops_total} / ${final.progress.crops_total}`,
          }).waitFor();
        },
      );

      await t.step(
        "a text file named .jpg is refused next to its name; the others upload",
        async () => {
          const created = await server.json("POST", "/api/manifests", { name: "Upload errors" });
          const id = created.body.id;
          const text = new TextEncoder().encode("These are notes, not a photo.\n");
          // What the API says about that file, asked directly.
          const form = new FormData();
          form.append("file", new File([text], "notes.jpg", { type: "image/jpeg" }));
          const refused = await server.fetch(`/api/manifests/${id}/uploads`, {
            method: "POST",
            body: form,
          });
          const message = (await refused.json()).error.message;
          assert.equal(refused.status, 415);

          await page.goto(`${server.url}/#/manifests/${id}`);
          await page.setInputFiles("#file-input", [
            await filePayload("sample4.jpg"),
            { name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from(text) },
            await filePayload("sample5.jpg"),
          ]);
          await page.locator('.upload-row[data-file="notes.jpg"]').getByText(message).waitFor(SLOW);
          for (const file of ["sample4", "sample5"]) {
            await page.locator(`.upload-row[data-file="${file}.jpg"]`)
              .getByText(`Uploaded as “${file}”`).waitFor(SLOW);
          }
          // The same photo twice: the API's 409 names the asset it already is.
          await page.setInputFiles("#file-input", await filePayload("sample4.jpg", "again.jpg"));
          await page.locator('.upload-row[data-file="again.jpg"]')
            .getByText(/already in this manifest/).waitFor(SLOW);
          assert.equal(await page.locator(".tile").count(), 2);
          // A job can be cancelled; the manifest goes back to where it was.
          await page.getByRole("button", { name: "Process", exact: true }).click();
          await page.getByRole("button", { name: "Cancel job" }).click();
          await page.locator(".job-status", { hasText: "Cancelled" }).waitFor(SLOW);
          await page.locator(".manifest-head .badge", { hasText: "Draft" }).waitFor(SLOW);
          await page.getByRole("button", { name: "Process", exact: true }).waitFor();
        },
      );

      await t.step(
        "a project is made from the READY manifest; Generate says what is missing",
        async () => {
          await page.goto(`${server.url}/#/projects`);
          await page.getByText("No projects yet").waitFor();
          await assertAccessible(page, "the projects page");
          await page.getByLabel("Title").fill("Night walk");
          await page.getByLabel("Manifest").selectOption(manifestId);
          await page.getByLabel("Script").fill("A woman walks down a rainy street at night.");
          await page.getByRole("button", { name: "Create project" }).click();
          await page.waitForURL(/#\/projects\/[0-9a-f-]{36}$/, SLOW);
          const projectId = page.url().split("/").pop()!;
          await page.getByText("No storyboard yet").waitFor();
          // Said up front, before a click: this server has no Gemini key.
          await page.getByText(/this server has no key: set GEMINI_API_KEY/).waitFor();
          await page.getByRole("button", { name: "Generate storyboard" }).click();
          const refused = await server.json("POST", `/api/projects/${projectId}/storyboard`);
          assert.equal(refused.status, 503);
          assert.match(refused.body.error.message, /GEMINI_API_KEY/);
          await page.getByRole("alert").filter({ hasText: refused.body.error.message }).waitFor();
          await assertAccessible(page, "a project without a storyboard");
        },
      );

      await t.step("the library lists, searches and deletes manifests", async () => {
        await page.goto(`${server.url}/#/`);
        const demo = page.locator(".manifest-card", { hasText: "Demo cast" });
        await demo.getByText("Ready").waitFor();
        await page.locator(".manifest-card").nth(2).waitFor();
        await waitForCondition(
          page,
          `[...document.querySelectorAll(".manifest-card img")]
            .every((img) => img.complete && img.naturalWidth > 0)`,
        );
        await screenshot(page, "dashboard-library");
        await assertAccessible(page, "the library");
        // "Skip to content" moves the focus; the router must not read #view as a page.
        await page.locator(".skip-link").focus();
        await page.keyboard.press("Enter");
        await page.locator("#view:focus").waitFor();
        assert.match(page.url(), /#\/$/);
        // A mistyped address (even a broken % escape) says so instead of breaking the page.
        await page.goto(`${server.url}/#/nothing/%E0%A4%A`);
        await page.getByText(/Nothing lives at/).waitFor();
        await page.goto(`${server.url}/#/`);
        await demo.getByText("Ready").waitFor();
        // A manifest a project is built on is kept, and the page says why.
        await page.getByRole("button", { name: "Delete Demo cast" }).click();
        await page.locator("#confirm-dialog").getByRole("button", { name: "Delete" }).click();
        await demo.getByText(/Not deleted\. A project's storyboard is built on this manifest/)
          .waitFor();
        await demo.getByText(/"Night walk"/).waitFor();
        await page.getByLabel("Search").fill("upload err");
        await page.getByText("1 matching manifest").waitFor();
        await page.getByRole("button", { name: "Delete Upload errors" }).click();
        await page.locator("#confirm-dialog").getByRole("button", { name: "Delete" }).click();
        await page.getByText("No manifest matches").waitFor();
        await page.getByLabel("Search").fill("");
        await page.getByText("2 manifests").waitFor();
      });

      assert.deepEqual(problems, [], "the page logged no errors");
    });
  } finally {
    await server.close();
  }
});

Deno.test("dashboard: a storyboard is generated live and shown scene by scene", async () => {
  const fake = await startFakeGemini();
  const server = await startTestServer({
    WORKERS: "2",
    REVERSE_PROMPT_PROVIDER: "local",
    GEMINI_API_KEY: "test-dashboard-key",
    GEMINI_BASE_URL: fake.url,
  });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg", "sample5.jpg"]);
    assert.equal((await processAndWait(server, manifestId)).status, "complete");
    const registry = await (await server.fetch(`/api/manifests/${manifestId}/registry`)).text();
    const tags = [...registry.matchAll(/^\[([A-Z]+_\d+)\] /gm)].map((m) => m[1]);
    const [lead, other] = tags;
    assert.ok(other, registry);
    fake.setResponder(() =>
      storyboardAnswer([
        { tags: [lead, other], speaks: true },
        { tags: [other] },
        { tags: [lead], speaks: true },
      ], { characterTag: lead })
    );
    await withPage(async (page, problems) => {
      await page.goto(`${server.url}/#/manifests/${manifestId}`);
      await page.getByRole("link", { name: "Use in a project" }).click();
      // The manifest the person came from is already chosen.
      await page.locator("#project-manifest option:checked", { hasText: "Demo cast" })
        .waitFor({ state: "attached" });
      await page.getByLabel("Title").fill("Rainy night");
      await page.getByLabel("Script").fill("Night. A woman walks in the rain and calls a friend.");
      await page.getByRole("button", { name: "Create project" }).click();
      await page.waitForURL(/#\/projects\/[0-9a-f-]{36}$/, SLOW);
      await page.getByRole("button", { name: "Generate storyboard" }).click();
      for (const step of ["registry", "writing", "validating", "saving"]) {
        await page.locator(`li[data-step="${step}"]`, { hasText: "Done" }).waitFor(SLOW);
      }
      const rows = page.locator("table.board tbody tr");
      await rows.nth(2).waitFor(SLOW);
      assert.equal(await rows.count(), 3);
      const first = rows.first();
      await first.locator(".placements .tag-chip", { hasText: lead }).waitFor();
      await first.getByText("“Line 0”").waitFor();
      await first.getByText(/footsteps/).waitFor();
      await first.getByText("ambient, tense").waitFor();
      await first.getByText("wide_shot").waitFor();
      await page.locator(".badge", { hasText: "Ready" }).first().waitFor();
      await screenshot(page, "dashboard-storyboard");
      await assertAccessible(page, "a project's storyboard");
      for (const [name, extension] of [["CSV (spreadsheet)", "csv"], ["Markdown", "md"]]) {
        const href = await page.getByRole("link", { name }).getAttribute("href");
        assert.match(
          href ?? "",
          new RegExp(`^/api/projects/[0-9a-f-]{36}/storyboard\\.${extension}$`),
        );
      }
      // A placement's tag opens its asset in the manifest: its detail panel, with the keyboard
      // focus on it, says where it is used.
      await first.locator(".placements .tag-chip", { hasText: lead }).click();
      await page.waitForURL(new RegExp(`#/manifests/${manifestId}/assets/${lead}$`));
      const shown = page.locator(`#asset-detail[open][data-tag="${lead}"]`);
      await shown.locator("#detail-title:focus").waitFor(SLOW);
      await shown.locator(".usage-list li", { hasText: "Rainy night · scenes 1, 3" }).waitFor(SLOW);
      await assertAccessible(page, "an asset's panel with where it is used");
      assert.deepEqual(problems, []);
    });
  } finally {
    await server.close();
    await fake.close();
  }
});

Deno.test("dashboard: with AUTH_TOKEN the page asks for the token once, then works", async () => {
  const token = "dashboard-test-token";
  const server = await startTestServer({ AUTH_TOKEN: token });
  try {
    const created = await server.json("POST", "/api/manifests", { name: "Locked cast" }, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(created.status, 201);
    await withPage(async (page, problems) => {
      await page.goto(`${server.url}/`);
      const input = page.getByRole("textbox", { name: "Access token" });
      await assertAccessible(page, "the access-token dialog");
      await input.fill("not-the-token");
      await page.getByRole("button", { name: "Unlock" }).click();
      await page.getByText("The access token is wrong").waitFor();
      await input.fill(token);
      await page.getByRole("button", { name: "Unlock" }).click();
      await page.locator(".manifest-card", { hasText: "Locked cast" }).waitFor();
      // Images and the WebSocket carry the token too: the manifest page goes live.
      await page.getByRole("link", { name: "Locked cast" }).click();
      await page.locator(".job-status", { hasText: "Not processed yet" }).waitFor();
      await page.locator("#live-status", { hasText: "Live" }).waitFor();
      assert.equal(await page.locator("#auth-dialog[open]").count(), 0);
      assert.deepEqual(problems, []);
    });
  } finally {
    await server.close();
  }
});
