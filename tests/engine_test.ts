/**
 * The manifesting engine end to end: the six demo photos processed end to end
 * with the real models and the local analyzer, watched over a real WebSocket; then
 * idempotence of a second run and of single-asset reprocessing; and the conflicts.
 */
import assert from "node:assert/strict";
import { contactSheetSize } from "../src/imaging/contact_sheet.ts";
import { STEPS } from "../src/pipeline/progress.ts";
import { jpegSize } from "./fixtures/image_size.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { multipart, startTestServer } from "./_harness.ts";
import {
  DEMO_FILES,
  FrameRecorder,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
  wsUrl,
} from "./_pipeline.ts";

// deno-lint-ignore no-explicit-any
type Asset = Record<string, any>;

Deno.test("the six demo photos are manifested, live over a WebSocket, and a re-run changes nothing", async (t) => {
  // One contact sheet page holds every asset here (over 48), as its size check below
  // expects; pages are tested in contact_sheets_test.ts.
  const server = await startTestServer({ WORKERS: "2", CONTACT_SHEET_PAGE_SIZE: "100" });
  try {
    const { manifestId, uploadIds } = await manifestWithPhotos(server, DEMO_FILES);
    const topic = `manifest:${manifestId}`;
    const client = new FrameRecorder(wsUrl(server));
    await client.opened;
    client.send({ type: "subscribe", topics: [topic] });
    await client.waitFor((frames) => frames.some((f) => f.type === "snapshot"));

    const started = await server.json("POST", `/api/manifests/${manifestId}/process`);

    await t.step("process answers 202 at once and conflicting changes get 409", async () => {
      assert.equal(started.status, 202);
      assert.equal(started.body.status, "started");
      assert.equal(started.body.task_id, started.body.job_id);
      const again = await server.json("POST", `/api/manifests/${manifestId}/process`);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "manifest_processing");
      assert.match(again.body.error.message, new RegExp(started.body.job_id));
      const edit = await server.json("PUT", `/api/assets/${uploadIds[0]}`, { name: "X" });
      assert.equal(edit.status, 409);
      const reprocess = await server.json("POST", `/api/assets/${uploadIds[0]}/reprocess`);
      assert.equal(reprocess.status, 409);
      const upload = await server.fetch(`/api/manifests/${manifestId}/uploads`, {
        method: "POST",
        body: multipart([{ name: "faces.jpg", bytes: await fixturePhoto("faces.jpg") }]),
      });
      assert.equal(upload.status, 409);
      await upload.body?.cancel();
    });

    await client.waitFor((frames) => frames.some((f) => f.type === "done"));
    const frames = client.frames;
    const final = await waitForProgress(server, manifestId);
    const manifest = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
    const assets: Asset[] = manifest.assets;
    const crops = assets.filter((a) => a.source === "extracted");
    const byId = new Map(assets.map((a) => [a.id, a]));

    await t.step("the WebSocket client sees snapshot, five steps, assets, then done", () => {
      assert.equal(frames[0].type, "snapshot");
      assert.equal(frames[0].topic, topic);
      const persisted = frames.filter((f) => f.type !== "snapshot");
      for (let i = 1; i < persisted.length; i++) {
        assert.ok(persisted[i].seq > persisted[i - 1].seq, "seq increases");
      }
      const steps = persisted.filter((f) => f.type === "step").map((f) => `${f.step}:${f.state}`);
      assert.deepEqual(steps, STEPS.flatMap((s) => [`${s}:started`, `${s}:finished`]));
      const finished = persisted.filter((f) => f.type === "step" && f.state === "finished");
      for (const f of finished) assert.ok(f.duration_ms >= 0);
      assert.equal(persisted.at(-1)!.type, "done");
      assert.equal(persisted.at(-1)!.status, "complete");
      const created = persisted.filter((f) => f.type === "asset" && f.change === "created");
      assert.deepEqual(
        new Set(created.map((f) => f.asset.id)),
        new Set(crops.map((c) => c.id)),
        "one asset frame per crop",
      );
      const progress = persisted.filter((f) => f.type === "progress");
      assert.ok(progress.length >= 3);
      for (const key of ["uploads_processed", "crops_total", "crops_reverse_prompted"]) {
        for (let i = 1; i < progress.length; i++) {
          assert.ok(progress[i].progress[key] >= progress[i - 1].progress[key], `${key} monotone`);
        }
      }
      // Polling and the socket are two views of one state.
      const { asset_count: _, ...totals } = persisted.at(-1)!.totals;
      assert.deepEqual(final.progress, totals);
      assert.deepEqual(progress.at(-1)!.progress, final.progress);
      assert.equal(final.status, "complete");
      assert.equal(final.job_id, started.body.job_id);
    });

    await t.step("the manifest is READY with faces, persons and objects as assets", () => {
      assert.equal(manifest.status, "READY");
      assert.equal(manifest.asset_count, assets.length);
      const faces = crops.filter((c) => c.extraction_role === "face");
      assert.equal(faces.length, 22, "22 face crops");
      assert.ok(faces.every((f) => f.is_face_crop && f.asset_type === "CHARACTER"));
      const persons = crops.filter((c) => c.extraction_role === "person");
      assert.ok(persons.length >= 18, `persons: ${persons.length}`);
      assert.equal(final.progress.uploads_total, 6);
      assert.equal(final.progress.uploads_processed, 6);
      assert.equal(final.progress.crops_total, crops.length);
      for (const crop of crops) {
        const parent = byId.get(crop.source_asset_id)!;
        assert.ok(parent, "every crop has a parent");
        const upload = parent.source === "uploaded" ? parent : byId.get(parent.source_asset_id)!;
        assert.equal(upload.source, "uploaded");
        const [x1, y1, x2, y2] = crop.crop_bbox;
        assert.ok(
          0 <= x1 && x1 < x2 && x2 <= upload.width && 0 <= y1 && y1 < y2 &&
            y2 <= upload.height,
          "crop_bbox inside the upload",
        );
        if (crop.extraction_role === "face" && parent.source === "extracted") {
          assert.equal(parent.extraction_role, "person");
          const [px1, py1, px2, py2] = parent.crop_bbox;
          const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
          assert.ok(px1 <= cx && cx <= px2 && py1 <= cy && cy <= py2, "face inside its person");
        }
        if (crop.extraction_role !== "face") assert.equal(parent.source, "uploaded");
      }
      assert.ok(
        faces.filter((f) => byId.get(f.source_asset_id)!.source === "extracted").length >= 15,
      );
    });

    await t.step("identities never hold two faces of one photo", () => {
      const rootOf = (a: Asset): string =>
        a.source === "uploaded" ? a.id : rootOf(byId.get(a.source_asset_id)!);
      const faces = crops.filter((c) => c.is_face_crop);
      assert.ok(faces.every((f) => f.identity_id), "every face has an identity");
      const ids = new Set(faces.map((f) => f.identity_id));
      assert.equal(manifest.identities.length, ids.size);
      for (const identity of manifest.identities) {
        const members = faces.filter((f) => f.identity_id === identity.id);
        const photos = members.map(rootOf);
        assert.equal(new Set(photos).size, photos.length, "one face per photo per identity");
        assert.ok(byId.get(identity.primary_asset_id)?.identity_id === identity.id);
        assert.equal(
          identity.member_count,
          assets.filter((a) => a.identity_id === identity.id).length,
        );
      }
      assert.equal(final.progress.face_merges, faces.length - ids.size);
      assert.equal(final.progress.identities, ids.size);
    });

    await t.step("every asset is described by the local analyzer", () => {
      for (const asset of assets) {
        assert.equal(asset.provider, "local");
        assert.ok(asset.prompted_at && asset.reverse_prompt.length > 20, asset.name);
        assert.ok(asset.visual_description.length > 20);
        assert.ok(asset.quality_score >= 0 && asset.quality_score <= 10);
        assert.equal(asset.quality_score, Math.round(asset.quality_score * 10) / 10);
        assert.equal(asset.prompt_error, null);
      }
      assert.equal(final.progress.crops_reverse_prompted, crops.length);
      // Crops take the analyzer's suggested name; uploads keep the user's.
      for (const crop of crops) assert.equal(crop.name, crop.suggested_name);
      for (const [i, id] of uploadIds.entries()) {
        assert.equal(byId.get(id)!.name, DEMO_FILES[i].replace(".jpg", ""));
      }
    });

    await t.step(
      "tags are unique and sequential per prefix in upload then confidence order",
      () => {
        const tags = assets.map((a) => a.manifest_tag);
        assert.equal(new Set(tags).size, tags.length);
        const byPrefix = Map.groupBy(tags, (tag: string) => tag.replace(/_\d+$/, ""));
        for (const [prefix, group] of byPrefix) {
          const numbers = group.map((tag) => Number(tag.split("_").pop())).sort((a, b) => a - b);
          assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `${prefix} has no gap`);
        }
        const chars = crops.filter((c) => c.asset_type === "CHARACTER")
          .sort((a, b) => Number(a.manifest_tag.slice(5)) - Number(b.manifest_tag.slice(5)));
        const uploadIndex = (a: Asset) =>
          uploadIds.indexOf(
            byId.get(a.source_asset_id)!.source === "uploaded"
              ? a.source_asset_id
              : byId.get(a.source_asset_id)!.source_asset_id,
          );
        for (let i = 1; i < chars.length; i++) {
          const [a, b] = [chars[i - 1], chars[i]];
          assert.ok(
            uploadIndex(a) < uploadIndex(b) || (uploadIndex(a) === uploadIndex(b) &&
              a.detection_confidence >= b.detection_confidence),
            "tag order",
          );
        }
      },
    );

    await t.step("the contact sheet is a JPEG of 4 columns of 256 px cells", async () => {
      const response = await server.fetch(`/api/manifests/${manifestId}/contact-sheet`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "image/jpeg");
      const bytes = new Uint8Array(await response.arrayBuffer());
      assert.deepEqual(jpegSize(bytes), contactSheetSize(assets.length));
      assert.equal(contactSheetSize(assets.length).width, contactSheetSize(4).width);
      await Deno.mkdir(new URL("./output/", import.meta.url), { recursive: true });
      await Deno.writeFile(new URL("./output/contact_sheet.jpg", import.meta.url), bytes);
    });

    await t.step("processing a READY manifest again adds nothing and keeps every tag", async () => {
      const again = await processAndWait(server, manifestId);
      assert.equal(again.status, "complete");
      const after = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
      assert.equal(after.status, "READY");
      const tagsOf = (list: Asset[]) => Object.fromEntries(list.map((a) => [a.id, a.manifest_tag]));
      assert.deepEqual(tagsOf(after.assets), tagsOf(assets));
      assert.deepEqual(
        after.identities.map((i: Asset) => i.id).sort(),
        manifest.identities.map((i: Asset) => i.id).sort(),
      );
      assert.ok(after.version > manifest.version);
    });

    await t.step(
      "reprocessing one asset twice keeps its id, tag and kind, and duplicates nothing",
      async () => {
        const face = crops.find((c) => c.is_face_crop)!;
        const upload = byId.get(uploadIds[1])!;
        for (let i = 0; i < 2; i++) {
          const r = await server.json("POST", `/api/assets/${face.id}/reprocess`);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(r.body.id, face.id);
          assert.equal(r.body.manifest_tag, face.manifest_tag);
          assert.equal(r.body.is_face_crop, true);
          assert.ok(r.body.prompted_at);
          const u = await server.json("POST", `/api/assets/${upload.id}/reprocess`);
          assert.equal(u.status, 200, JSON.stringify(u.body));
          assert.equal(u.body.manifest_tag, upload.manifest_tag);
        }
        const after = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
        assert.equal(after.status, "READY");
        assert.deepEqual(
          after.assets.map((a: Asset) => a.id).sort(),
          assets.map((a) => a.id).sort(),
        );
        assert.equal(after.assets.find((a: Asset) => a.id === face.id).identity_id !== null, true);
      },
    );
    await client.close();
  } finally {
    await server.close();
  }
});

Deno.test("process refuses a manifest with no image (422) and an unknown one (404)", async () => {
  const server = await startTestServer();
  try {
    const empty = await server.json("POST", "/api/manifests", { name: "Empty" });
    const r = await server.json("POST", `/api/manifests/${empty.body.id}/process`);
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, "manifest_has_no_images");
    const still = await server.json("GET", `/api/manifests/${empty.body.id}`);
    assert.equal(still.body.status, "DRAFT");
    assert.equal(server.countRows("jobs"), 0);
    const progress = await server.json("GET", `/api/manifests/${empty.body.id}/progress`);
    assert.equal(progress.body.status, "not_started");
    const unknown = await server.json("POST", `/api/manifests/${crypto.randomUUID()}/process`);
    assert.equal(unknown.status, 404);
    const sheet = await server.json("GET", `/api/manifests/${empty.body.id}/contact-sheet`);
    assert.equal(sheet.status, 404);
    const job = await server.json("POST", `/api/jobs/${crypto.randomUUID()}/cancel`);
    assert.equal(job.status, 404);
  } finally {
    await server.close();
  }
});
