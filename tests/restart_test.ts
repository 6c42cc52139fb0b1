/**
 * Acceptance: data survives a restart on the same DATA_DIR.
 */
import assert from "node:assert/strict";
import { fixturePhoto } from "./fixtures/photos.ts";
import { multipart, startTestServer } from "./_harness.ts";

Deno.test("everything is still served after a restart on the same DATA_DIR", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-restart-" });
  try {
    const first = await startTestServer({}, { dataDir, keepData: true });
    let manifestId: string, assetId: string, imageBytes: Uint8Array;
    try {
      manifestId = (await first.json("POST", "/api/manifests", {
        name: "Persistent",
        category: "CHARACTERS",
        tags: ["noir"],
      })).body.id;
      imageBytes = await fixturePhoto("faces.jpg");
      const upload = await first.fetch(`/api/manifests/${manifestId}/uploads`, {
        method: "POST",
        body: multipart([{ name: "faces.jpg", bytes: imageBytes }], [[
          "asset_type",
          "ENVIRONMENT",
        ]]),
      });
      assert.equal(upload.status, 201);
      assetId = (await upload.json()).items[0].id;
    } finally {
      await first.close();
    }

    const second = await startTestServer({}, { dataDir, keepData: true });
    try {
      const manifest = await second.json("GET", `/api/manifests/${manifestId}`);
      assert.equal(manifest.status, 200);
      assert.equal(manifest.body.name, "Persistent");
      assert.deepEqual(manifest.body.tags, ["noir"]);
      assert.equal(manifest.body.assets.length, 1);
      assert.equal(manifest.body.assets[0].manifest_tag, "ENV_01");
      const image = await second.fetch(`/api/assets/${assetId}/image`);
      assert.deepEqual(new Uint8Array(await image.arrayBuffer()), imageBytes);
      const thumb = await second.fetch(`/api/assets/${assetId}/thumbnail`);
      assert.equal(thumb.status, 200);
      await thumb.body?.cancel();
      // Counters survive too: the next environment continues the sequence.
      const next = await second.json("POST", `/api/manifests/${manifestId}/assets`, {
        name: "Street",
        asset_type: "ENVIRONMENT",
      });
      assert.equal(next.body.manifest_tag, "ENV_02");
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
