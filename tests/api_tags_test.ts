/**
 * Acceptance: tags are stable, per prefix, unique in a manifest and never reused.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./_harness.ts";

async function createAsset(server: TestServer, manifestId: string, body: object) {
  const reply = await server.json("POST", `/api/manifests/${manifestId}/assets`, body);
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

Deno.test("tags continue after a delete, change with the type, and never repeat", async () => {
  const server = await startTestServer();
  try {
    const manifest = (await server.json("POST", "/api/manifests", { name: "Tags" })).body;
    const first = await createAsset(server, manifest.id, { name: "Ann", asset_type: "CHARACTER" });
    const second = await createAsset(server, manifest.id, { name: "Bob", asset_type: "CHARACTER" });
    assert.equal(first.manifest_tag, "CHAR_01");
    assert.equal(second.manifest_tag, "CHAR_02");

    assert.equal((await server.json("DELETE", `/api/assets/${first.id}`)).status, 204);
    const third = await createAsset(server, manifest.id, { name: "Cy", asset_type: "CHARACTER" });
    assert.equal(third.manifest_tag, "CHAR_03");

    const changed = await server.json("PUT", `/api/assets/${second.id}`, { asset_type: "OBJECT" });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.manifest_tag, "OBJ_01");
    assert.equal(changed.body.asset_type, "OBJECT");

    // CHAR_02 was retired with the type change: the next character is CHAR_04.
    const fourth = await createAsset(server, manifest.id, { name: "Di" });
    assert.equal(fourth.manifest_tag, "CHAR_04");

    // A rename keeps the tag.
    const renamed = await server.json("PUT", `/api/assets/${third.id}`, { name: "Cyrus" });
    assert.equal(renamed.body.manifest_tag, "CHAR_03");

    const vehicle = await createAsset(server, manifest.id, { name: "Van", asset_type: "VEHICLE" });
    const env = await createAsset(server, manifest.id, {
      name: "Alley",
      asset_type: "ENVIRONMENT",
    });
    assert.equal(vehicle.manifest_tag, "VEH_01");
    assert.equal(env.manifest_tag, "ENV_01");

    // Tags are per manifest.
    const other = (await server.json("POST", "/api/manifests", { name: "Other" })).body;
    assert.equal((await createAsset(server, other.id, { name: "Eve" })).manifest_tag, "CHAR_01");

    const all = (await server.json("GET", `/api/manifests/${manifest.id}/assets`)).body.items;
    const tags = all.map((a: { manifest_tag: string }) => a.manifest_tag);
    assert.equal(new Set(tags).size, tags.length);
    assert.deepEqual(tags.toSorted(), ["CHAR_03", "CHAR_04", "ENV_01", "OBJ_01", "VEH_01"]);
  } finally {
    await server.close();
  }
});

Deno.test("concurrent creations in one manifest never share a tag", async () => {
  const server = await startTestServer();
  try {
    const manifest = (await server.json("POST", "/api/manifests", { name: "Race" })).body;
    const replies = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          server.json("POST", `/api/manifests/${manifest.id}/assets`, { name: `Extra ${i}` }),
      ),
    );
    const tags = replies.map((r) => r.body.manifest_tag);
    assert.ok(replies.every((r) => r.status === 201));
    assert.equal(new Set(tags).size, 20);
    assert.deepEqual(
      tags.toSorted(),
      Array.from({ length: 20 }, (_, i) => `CHAR_${String(i + 1).padStart(2, "0")}`),
    );
    const detail = (await server.json("GET", `/api/manifests/${manifest.id}`)).body;
    assert.equal(detail.asset_count, 20);
    assert.equal(detail.version, 21);
  } finally {
    await server.close();
  }
});
