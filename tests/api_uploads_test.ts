/**
 * Acceptance: a person uploads reference photos and gets tagged assets with their images.
 */
import assert from "node:assert/strict";
import { fixturePhoto, PHOTOS } from "./fixtures/photos.ts";
import { multipart, startTestServer } from "./_harness.ts";
import { jpegSize } from "./fixtures/image_size.ts";

const DEMO = PHOTOS.filter((p) => /^sample[1-6]\.jpg$/.test(p.file));

Deno.test("batch upload of the six demo photos makes six tagged CHARACTER assets", async () => {
  const server = await startTestServer();
  try {
    const created = await server.json("POST", "/api/manifests", { name: "Demo cast" });
    assert.equal(created.status, 201);
    const manifestId = created.body.id;

    const files = await Promise.all(
      DEMO.map(async (p) => ({ name: p.file, bytes: await fixturePhoto(p.file) })),
    );
    const response = await server.fetch(`/api/manifests/${manifestId}/uploads`, {
      method: "POST",
      body: multipart(files),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const { items } = await response.json();
    assert.equal(items.length, 6);
    assert.deepEqual(
      items.map((a: { manifest_tag: string }) => a.manifest_tag),
      ["CHAR_01", "CHAR_02", "CHAR_03", "CHAR_04", "CHAR_05", "CHAR_06"],
    );
    for (const [i, asset] of items.entries()) {
      assert.equal(asset.asset_type, "CHARACTER");
      assert.equal(asset.source, "uploaded");
      assert.equal(asset.name, DEMO[i].file.replace(".jpg", ""));
      assert.equal(asset.width, DEMO[i].width);
      assert.equal(asset.height, DEMO[i].height);
      assert.equal(asset.mime, "image/jpeg");
      assert.equal(asset.reference_image_url, `/api/assets/${asset.id}/image`);

      const image = await server.fetch(asset.reference_image_url);
      assert.equal(image.status, 200);
      assert.equal(image.headers.get("content-type"), "image/jpeg");
      assert.deepEqual(new Uint8Array(await image.arrayBuffer()), files[i].bytes);

      const thumb = await server.fetch(`/api/assets/${asset.id}/thumbnail?size=256`);
      assert.equal(thumb.status, 200);
      assert.equal(thumb.headers.get("content-type"), "image/jpeg");
      const size = jpegSize(new Uint8Array(await thumb.arrayBuffer()));
      assert.equal(Math.max(size.width, size.height), 256);
      const expectedShort = Math.round(
        256 * Math.min(asset.width, asset.height) /
          Math.max(asset.width, asset.height),
      );
      assert.ok(Math.abs(Math.min(size.width, size.height) - expectedShort) <= 1);
    }

    const manifest = await server.json("GET", `/api/manifests/${manifestId}`);
    assert.equal(manifest.body.asset_count, 6);
    assert.equal(manifest.body.assets.length, 6);
    assert.equal(manifest.body.status, "DRAFT");

    // The same photo again is refused, naming the asset that already has it.
    const again = await server.fetch(`/api/manifests/${manifestId}/uploads`, {
      method: "POST",
      body: multipart([files[0]]),
    });
    assert.equal(again.status, 409);
    const error = (await again.json()).error;
    assert.equal(error.code, "duplicate_image");
    assert.equal(error.details.existing_asset_id, items[0].id);
    assert.match(error.message, /CHAR_01/);
    assert.match(error.message, new RegExp(items[0].id));
    assert.equal(server.countRows("assets"), 6);

    // Also through the single-asset upload path.
    const empty = await server.json("POST", `/api/manifests/${manifestId}/assets`, {
      name: "Lead actor",
    });
    assert.equal(empty.status, 201);
    const single = await server.fetch(`/api/assets/${empty.body.id}/upload`, {
      method: "POST",
      body: multipart([files[0]]),
    });
    assert.equal(single.status, 409);
    assert.equal((await single.json()).error.details.existing_asset_id, items[0].id);
  } finally {
    await server.close();
  }
});

Deno.test("single upload gives an asset its image; a thumbnail can be asked in other sizes", async () => {
  const server = await startTestServer();
  try {
    const manifest = (await server.json("POST", "/api/manifests", { name: "Props" })).body;
    const asset = (await server.json("POST", `/api/manifests/${manifest.id}/assets`, {
      name: "Controller",
      asset_type: "PROP",
    })).body;
    assert.equal(asset.manifest_tag, "PROP_01");
    assert.equal(asset.reference_image_url, null);
    const noImage = await server.json("GET", `/api/assets/${asset.id}/image`);
    assert.equal(noImage.status, 404);
    assert.equal(noImage.body.error.code, "asset_has_no_image");

    const bytes = await fixturePhoto("psmove.png");
    const uploaded = await server.fetch(`/api/assets/${asset.id}/upload`, {
      method: "POST",
      body: multipart([{ name: "psmove.png", bytes, type: "application/octet-stream" }]),
    });
    assert.equal(uploaded.status, 200);
    const body = await uploaded.json();
    assert.equal(body.mime, "image/png");
    assert.equal(body.width, 732);
    assert.equal(body.height, 550);
    assert.equal(body.manifest_tag, "PROP_01");

    const thumb = await server.fetch(`/api/assets/${asset.id}/thumbnail?size=128`);
    assert.equal(thumb.status, 200);
    const size = jpegSize(new Uint8Array(await thumb.arrayBuffer()));
    assert.equal(size.width, 128);
    const etag = thumb.headers.get("etag")!;
    const cached = await server.fetch(`/api/assets/${asset.id}/thumbnail?size=128`, {
      headers: { "if-none-match": etag },
    });
    assert.equal(cached.status, 304);
    await cached.body?.cancel();
    const odd = await server.json("GET", `/api/assets/${asset.id}/thumbnail?size=300`);
    assert.equal(odd.status, 422);
  } finally {
    await server.close();
  }
});
