/**
 * Bulk changes through the API: changing the type of many assets, deleting many, merging many
 * identities and naming one — each one request, one transaction, all or nothing. One bad id
 * (unknown, or of another manifest), an empty list or a PROCESSING manifest refuses the
 * whole request and changes nothing.
 *
 * Assets are made without images (`POST /manifests/{id}/assets`) and crops and identities
 * are written straight into the database, so no photo has to be processed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./_harness.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function createManifest(server: TestServer, name: string): Promise<string> {
  const reply = await server.json("POST", "/api/manifests", { name });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.id;
}

/** `count` CHARACTER assets without images, in order. */
async function createAssets(server: TestServer, manifestId: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reply = await server.json("POST", `/api/manifests/${manifestId}/assets`, {
      name: `Asset ${i + 1}`,
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    ids.push(reply.body.id);
  }
  return ids;
}

async function manifest(server: TestServer, id: string): Promise<Json> {
  const reply = await server.json("GET", `/api/manifests/${id}`);
  assert.equal(reply.status, 200);
  return reply.body;
}

/** What a refused request must leave as it was. */
function state(detail: Json) {
  return {
    version: detail.version,
    assets: detail.assets.map((a: Json) => [a.id, a.asset_type, a.manifest_tag]),
    identities: detail.identities.map((i: Json) => [i.id, i.member_count, i.name, i.locked]),
  };
}

function assertError(reply: { status: number; body: Json }, status: number, code: string) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.error.code, code, JSON.stringify(reply.body));
  assert.ok(reply.body.error.message.length > 20, reply.body.error.message);
}

/** Gives `faceIds` to new identities, `groups[i]` faces to identity i; returns their ids. */
async function identitiesOf(
  server: TestServer,
  manifestId: string,
  groups: string[][],
): Promise<string[]> {
  const db = server.services.db;
  const ids: string[] = [];
  for (const [i, members] of groups.entries()) {
    const id = crypto.randomUUID();
    ids.push(id);
    await db.insertInto("identities").values({
      id,
      manifest_id: manifestId,
      primary_asset_id: members[0],
      member_count: members.length,
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    }).execute();
    await db.updateTable("assets").set({ identity_id: id, is_face_crop: 1 })
      .where("id", "in", members).execute();
  }
  return ids;
}

Deno.test("bulk: set_type and delete, one request each, all or nothing", async (t) => {
  const server = await startTestServer();
  try {
    const id = await createManifest(server, "Bulk");
    const other = await createManifest(server, "Elsewhere");
    const ids = await createAssets(server, id, 8);
    const [foreign] = await createAssets(server, other, 1);
    // A crop cut from asset 8: deleting 8 deletes it too.
    const crop = crypto.randomUUID();
    await server.services.db.insertInto("assets").values({
      id: crop,
      manifest_id: id,
      asset_type: "OBJECT",
      name: "Crop of 8",
      source: "extracted",
      source_asset_id: ids[7],
      extraction_role: "object",
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    }).execute();
    const url = `/api/manifests/${id}/assets/bulk`;

    await t.step("set_type gives each named asset the type and a new tag, in order", async () => {
      const before = await manifest(server, id);
      const reply = await server.json("POST", url, {
        action: "set_type",
        asset_ids: [ids[2], ids[0], ids[1], ids[0]],
        asset_type: "PROP",
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(reply.body.items.map((a: Json) => a.id), [ids[2], ids[0], ids[1]]);
      assert.deepEqual(reply.body.items.map((a: Json) => a.manifest_tag), [
        "PROP_01",
        "PROP_02",
        "PROP_03",
      ]);
      assert.ok(reply.body.items.every((a: Json) => a.asset_type === "PROP"));
      assert.deepEqual(reply.body.deleted_ids, []);
      const after = await manifest(server, id);
      assert.equal(after.version, before.version + 1, "one version step for the whole change");
      // An asset already of the type keeps its tag.
      const again = await server.json("POST", url, {
        action: "set_type",
        asset_ids: [ids[0], ids[3]],
        asset_type: "PROP",
      });
      assert.deepEqual(again.body.items.map((a: Json) => a.manifest_tag), ["PROP_02", "PROP_04"]);
    });

    await t.step("one unknown id → 422 naming it; nothing changed", async () => {
      const before = state(await manifest(server, id));
      const missing = crypto.randomUUID();
      for (const action of ["set_type", "delete"]) {
        const reply = await server.json("POST", url, {
          action,
          asset_ids: [ids[4], missing, ids[5], "not-a-uuid"],
          ...(action === "set_type" && { asset_type: "VEHICLE" }),
        });
        assertError(reply, 422, "assets_not_found");
        assert.deepEqual(reply.body.error.details.ids, [missing, "not-a-uuid"]);
        assert.match(reply.body.error.message, new RegExp(missing));
        assert.match(reply.body.error.message, /Nothing was changed/);
        assert.deepEqual(state(await manifest(server, id)), before);
      }
    });

    await t.step("an id of another manifest → 422 naming it; nothing changed", async () => {
      const before = state(await manifest(server, id));
      const reply = await server.json("POST", url, {
        action: "delete",
        asset_ids: [ids[4], foreign],
      });
      assertError(reply, 422, "assets_in_other_manifest");
      assert.deepEqual(reply.body.error.details.ids, [foreign]);
      assert.deepEqual(state(await manifest(server, id)), before);
      assert.equal((await server.json("GET", `/api/assets/${foreign}`)).status, 200);
    });

    await t.step(
      "an empty list, an unknown action or type → 422; unknown manifest → 404",
      async () => {
        const before = state(await manifest(server, id));
        const empty = await server.json("POST", url, { action: "delete", asset_ids: [] });
        assertError(empty, 422, "validation_failed");
        assert.match(empty.body.error.message, /Select at least one asset/);
        assertError(
          await server.json("POST", url, { action: "paint", asset_ids: [ids[0]] }),
          422,
          "validation_failed",
        );
        assertError(
          await server.json("POST", url, {
            action: "set_type",
            asset_ids: [ids[0]],
            asset_type: "DRAGON",
          }),
          422,
          "validation_failed",
        );
        assertError(
          await server.json("POST", url, { action: "set_type", asset_ids: [ids[0]] }),
          422,
          "validation_failed",
        );
        assertError(
          await server.json("POST", `/api/manifests/${crypto.randomUUID()}/assets/bulk`, {
            action: "delete",
            asset_ids: [ids[0]],
          }),
          404,
          "manifest_not_found",
        );
        assert.deepEqual(state(await manifest(server, id)), before);
      },
    );

    await t.step("delete removes the named assets with their crops, in one step", async () => {
      const before = await manifest(server, id);
      const reply = await server.json("POST", url, {
        action: "delete",
        asset_ids: [ids[6], ids[7]],
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual([...reply.body.deleted_ids].sort(), [ids[6], ids[7], crop].sort());
      assert.deepEqual(reply.body.items, []);
      const after = await manifest(server, id);
      assert.equal(after.version, before.version + 1);
      assert.equal(after.asset_count, before.asset_count - 3);
      assert.ok(!after.assets.some((a: Json) => [ids[6], ids[7], crop].includes(a.id)));
    });

    await t.step(
      "an asset a storyboard uses → 409 asset_in_use; ?force=true goes ahead",
      async () => {
        const used = (await manifest(server, id)).assets.find((a: Json) => a.id === ids[5]);
        const db = server.services.db;
        const at = new Date().toISOString();
        const project = crypto.randomUUID();
        await db.insertInto("projects").values({
          id: project,
          title: "Night walk",
          prompt: "A walk.",
          style: null,
          manifest_id: id,
          manifest_version: null,
          style_guide: null,
          storyboard_raw: JSON.stringify({ characters: [] }),
          error: null,
          created_at: at,
          updated_at: at,
        }).execute();
        await db.insertInto("scenes").values({
          project_id: project,
          scene_index: 0,
          scene_description: "A street at night.",
        }).execute();
        await db.insertInto("scene_manifests").values({
          project_id: project,
          scene_index: 0,
          manifest_json: "{}",
          composition_shot_type: null,
          composition_camera_movement: null,
          asset_tags: JSON.stringify([used.manifest_tag]),
          created_at: at,
        }).execute();
        const before = state(await manifest(server, id));
        for (
          const body of [
            { action: "delete", asset_ids: [ids[4], ids[5]] },
            { action: "set_type", asset_ids: [ids[4], ids[5]], asset_type: "VEHICLE" },
          ]
        ) {
          const reply = await server.json("POST", url, body);
          assertError(reply, 409, "asset_in_use");
          assert.match(reply.body.error.message, new RegExp(used.manifest_tag));
          assert.match(reply.body.error.message, /Night walk/);
          assert.deepEqual(state(await manifest(server, id)), before);
        }
        const forced = await server.json("POST", `${url}?force=true`, {
          action: "set_type",
          asset_ids: [ids[4], ids[5]],
          asset_type: "VEHICLE",
        });
        assert.equal(forced.status, 200, JSON.stringify(forced.body));
        assert.ok(forced.body.items.every((a: Json) => a.manifest_tag.startsWith("VEH_")));
      },
    );

    await t.step("a PROCESSING manifest → 409; nothing changed", async () => {
      await server.services.db.updateTable("manifests").set({ status: "PROCESSING" })
        .where("id", "=", id).execute();
      try {
        const before = state(await manifest(server, id));
        for (
          const body of [
            { action: "delete", asset_ids: [ids[0]] },
            { action: "set_type", asset_ids: [ids[0]], asset_type: "OTHER" },
          ]
        ) {
          assertError(await server.json("POST", url, body), 409, "manifest_processing");
        }
        assert.deepEqual(state(await manifest(server, id)), before);
      } finally {
        await server.services.db.updateTable("manifests").set({ status: "DRAFT" })
          .where("id", "=", id).execute();
      }
    });
  } finally {
    await server.close();
  }
});

Deno.test("identities: merge many in one request, name one; all or nothing", async (t) => {
  const server = await startTestServer();
  try {
    const id = await createManifest(server, "People");
    const other = await createManifest(server, "Other people");
    const faces = await createAssets(server, id, 7);
    const [a, b, c, d] = await identitiesOf(server, id, [
      [faces[0]],
      [faces[1], faces[2], faces[3]],
      [faces[4]],
      [faces[5], faces[6]],
    ]);
    const [elsewhere] = await identitiesOf(server, other, [await createAssets(server, other, 1)]);
    const url = `/api/manifests/${id}/identities/merge`;

    await t.step("bad ids, one identity, PROCESSING: refused, nothing changed", async () => {
      const before = state(await manifest(server, id));
      const missing = crypto.randomUUID();
      const unknown = await server.json("POST", url, { identity_ids: [a, missing] });
      assertError(unknown, 422, "identities_not_found");
      assert.deepEqual(unknown.body.error.details.ids, [missing]);
      const unknownInto = await server.json("POST", url, { identity_ids: [a, b], into: missing });
      assertError(unknownInto, 422, "identities_not_found");
      const foreign = await server.json("POST", url, { identity_ids: [a, elsewhere] });
      assertError(foreign, 422, "identities_in_other_manifest");
      assert.deepEqual(foreign.body.error.details.ids, [elsewhere]);
      assertError(
        await server.json("POST", url, { identity_ids: [a, a] }),
        422,
        "merge_needs_two",
      );
      assertError(
        await server.json("POST", url, { identity_ids: [a], into: a }),
        422,
        "merge_needs_two",
      );
      assertError(await server.json("POST", url, { identity_ids: [] }), 422, "validation_failed");
      await server.services.db.updateTable("manifests").set({ status: "PROCESSING" })
        .where("id", "=", id).execute();
      assertError(
        await server.json("POST", url, { identity_ids: [a, b] }),
        409,
        "manifest_processing",
      );
      assertError(
        await server.json("PUT", `/api/identities/${a}`, { name: "Ann" }),
        409,
        "manifest_processing",
      );
      await server.services.db.updateTable("manifests").set({ status: "DRAFT" })
        .where("id", "=", id).execute();
      assert.deepEqual(state(await manifest(server, id)), before);
    });

    await t.step("without `into`, the largest identity receives every member", async () => {
      const before = await manifest(server, id);
      const reply = await server.json("POST", url, { identity_ids: [a, b, c] });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.id, b);
      assert.equal(reply.body.member_count, 5);
      assert.equal(reply.body.locked, true);
      const after = await manifest(server, id);
      assert.equal(after.version, before.version + 1);
      assert.deepEqual(after.identities.map((i: Json) => i.id).sort(), [b, d].sort());
      const members = after.assets.filter((x: Json) => x.identity_id === b).map((x: Json) => x.id);
      assert.deepEqual(members.sort(), faces.slice(0, 5).sort());
    });

    await t.step("`into` may be an identity not listed", async () => {
      const reply = await server.json("POST", url, { identity_ids: [b], into: d });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.body.id, d);
      assert.equal(reply.body.member_count, 7);
      assert.equal((await manifest(server, id)).identities.length, 1);
    });

    await t.step("PUT /identities/{id} names a person and locks it; null clears", async () => {
      const named = await server.json("PUT", `/api/identities/${d}`, { name: "  Ann Lee " });
      assert.equal(named.status, 200, JSON.stringify(named.body));
      assert.equal(named.body.name, "Ann Lee");
      assert.equal(named.body.locked, true);
      const listed = await server.json("GET", `/api/manifests/${id}/identities`);
      assert.equal(listed.body.items[0].name, "Ann Lee");
      const cleared = await server.json("PUT", `/api/identities/${d}`, { name: null });
      assert.equal(cleared.body.name, null);
      assertError(
        await server.json("PUT", `/api/identities/${d}`, { name: "" }),
        422,
        "validation_failed",
      );
      assertError(
        await server.json("PUT", `/api/identities/${d}`, { nickname: "x" }),
        422,
        "validation_failed",
      );
      assertError(
        await server.json("PUT", `/api/identities/${a}`, { name: "Gone" }),
        404,
        "identity_not_found",
      );
    });
  } finally {
    await server.close();
  }
});
