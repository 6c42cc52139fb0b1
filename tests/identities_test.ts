/**
 * Identities end to end (docs/data-model.md, identity rules): three demo photos processed with the
 * real models, then what a user does by hand — merge two identities, move a face out to a
 * new identity and into another — with the errors a client can meet, the 409 while the
 * manifest is PROCESSING, and the hand-made changes surviving a full re-run and the
 * reprocessing of the moved face.
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "./_harness.ts";
import { manifestWithPhotos, processAndWait, waitForProgress } from "./_pipeline.ts";

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

/** Sample 1 and 2 show several people each, sample 4 shows faces outside any person crop. */
const PHOTOS = ["sample1.jpg", "sample2.jpg", "sample4.jpg"];

/** What a user sees of a manifest's identities, checked for consistency on every read. */
interface View {
  readonly manifest: Row;
  readonly assets: Row[];
  readonly byId: Map<string, Row>;
  readonly identities: Row[];
  readonly identity: Map<string, Row>;
  /** Asset ids carrying an identity, sorted. */
  members(identityId: string): string[];
}

async function view(server: TestServer, manifestId: string): Promise<View> {
  const manifest = await server.json("GET", `/api/manifests/${manifestId}`);
  assert.equal(manifest.status, 200);
  const listed = await server.json("GET", `/api/manifests/${manifestId}/identities`);
  assert.equal(listed.status, 200);
  const assets: Row[] = manifest.body.assets;
  const identities: Row[] = listed.body.items;
  const byId = new Map(assets.map((a) => [a.id, a]));
  const members = (identityId: string) =>
    assets.filter((a) => a.identity_id === identityId).map((a) => a.id).sort();
  // The list and the manifest detail agree.
  assert.deepEqual(
    identities.map((i) => i.id).sort(),
    manifest.body.identities.map((i: Row) => i.id).sort(),
  );
  const ids = new Set(identities.map((i) => i.id));
  for (const identity of identities) {
    assert.equal(identity.manifest_id, manifestId);
    const own = members(identity.id);
    assert.equal(identity.member_count, own.length, `member_count of ${identity.id}`);
    assert.ok(own.length > 0, "no empty identity is listed");
    assert.ok(own.includes(identity.primary_asset_id), "the primary asset is a member");
    assert.equal(typeof identity.locked, "boolean");
  }
  for (const asset of assets) {
    if (asset.identity_id !== null) assert.ok(ids.has(asset.identity_id), "no dangling identity");
  }
  return {
    manifest: manifest.body,
    assets,
    byId,
    identities,
    identity: new Map(identities.map((i) => [i.id, i])),
    members,
  };
}

Deno.test("identities: merge and move by hand, errors, 409 while processing, kept on reprocess", async (t) => {
  const server = await startTestServer({ WORKERS: "2" });
  try {
    const { manifestId, uploadIds } = await manifestWithPhotos(server, PHOTOS, "Identities");
    const first = await processAndWait(server, manifestId);
    assert.equal(first.status, "complete", JSON.stringify(first));
    let before = await view(server, manifestId);

    const rootOf = (asset: Row): string =>
      asset.source === "uploaded" ? asset.id : rootOf(before.byId.get(asset.source_asset_id)!);
    const faceOf = (identityId: string): Row => {
      const faces = before.members(identityId).map((id) => before.byId.get(id)!)
        .filter((a) => a.is_face_crop);
      assert.equal(faces.length, 1, `one face in identity ${identityId}`);
      return faces[0];
    };

    await t.step("after processing every face has an identity, listed with its members", () => {
      assert.equal(before.manifest.status, "READY");
      const faces = before.assets.filter((a) => a.is_face_crop);
      assert.ok(faces.length >= 4, `faces: ${faces.length}`);
      assert.ok(faces.every((f) => f.identity_id), "every face has an identity");
      assert.ok(before.identities.length >= 3, `identities: ${before.identities.length}`);
      assert.ok(before.identities.every((i) => !i.locked), "nothing is locked before a user acts");
      // Cannot-link: one identity never holds two faces of one photo.
      for (const identity of before.identities) {
        const photos = faces.filter((f) => f.identity_id === identity.id).map(rootOf);
        assert.equal(new Set(photos).size, photos.length);
      }
    });

    // A and B: a face with the person crop around it, from two different photos; S: a face
    // alone in its identity, from the third photo.
    const withPerson = before.identities.filter((i) => {
      const own = before.members(i.id).map((id) => before.byId.get(id)!);
      return own.length === 2 && own.some((a) => a.is_face_crop) &&
        own.some((a) => a.extraction_role === "person");
    });
    const single = before.identities.find((i) => i.member_count === 1)!;
    assert.ok(single, "an identity of one face alone");
    const photoS = rootOf(faceOf(single.id));
    const A = withPerson.find((i) => rootOf(faceOf(i.id)) !== photoS)!;
    assert.ok(A, "an identity with face and person");
    const B = withPerson.find((i) =>
      ![photoS, rootOf(faceOf(A.id))].includes(rootOf(faceOf(i.id)))
    )!;
    assert.ok(B, "a second identity with face and person, from another photo");
    const S = single;
    const membersA = before.members(A.id);
    const membersB = before.members(B.id);
    const faceA = faceOf(A.id);
    const faceB = faceOf(B.id);
    const personB = before.byId.get(faceB.source_asset_id)!;
    assert.equal(personB.extraction_role, "person");
    const faceS = faceOf(S.id);

    await t.step("merge A into B: B locked with every member, A gone", async () => {
      const merged = await server.json("POST", `/api/identities/${A.id}/merge`, { into: B.id });
      assert.equal(merged.status, 200, JSON.stringify(merged.body));
      assert.equal(merged.body.id, B.id);
      assert.equal(merged.body.locked, true);
      assert.equal(merged.body.member_count, membersA.length + membersB.length);
      const after = await view(server, manifestId);
      assert.ok(after.manifest.version > before.manifest.version, "version increased");
      assert.equal(after.identity.has(A.id), false, "A is no longer listed");
      assert.deepEqual(after.members(B.id), [...membersA, ...membersB].sort());
      for (const id of membersA) assert.equal(after.byId.get(id)!.identity_id, B.id);
      assert.equal(after.identity.get(B.id)!.locked, true);
      assert.equal(after.identity.get(B.id)!.member_count, membersA.length + membersB.length);
      // Nobody else was touched.
      for (const identity of before.identities) {
        if (identity.id === A.id || identity.id === B.id) continue;
        assert.deepEqual(after.identity.get(identity.id), identity);
      }
      const again = await server.json("POST", `/api/identities/${A.id}/merge`, { into: B.id });
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, "identity_not_found");
      before = after;
    });

    let C = "";
    await t.step(
      "move a face of B to a new identity: alone with its person crop, locked",
      async () => {
        const moved = await server.json("POST", `/api/assets/${faceB.id}/identity`, {
          identity_id: null,
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        assert.equal(moved.body.id, faceB.id);
        C = moved.body.identity_id;
        assert.ok(C && C !== B.id && !before.identity.has(C), "a new identity");
        const after = await view(server, manifestId);
        assert.ok(after.manifest.version > before.manifest.version, "version increased");
        const created = after.identity.get(C)!;
        assert.equal(created.locked, true);
        assert.equal(created.primary_asset_id, faceB.id);
        assert.deepEqual(after.members(C), [faceB.id, personB.id].sort());
        assert.deepEqual(after.members(B.id), membersA);
        assert.equal(after.identity.get(B.id)!.locked, true);
        assert.equal(after.identity.get(B.id)!.primary_asset_id, faceA.id);
        before = after;
      },
    );

    await t.step("move a face into an existing identity: its old identity disappears", async () => {
      const moved = await server.json("POST", `/api/assets/${faceS.id}/identity`, {
        identity_id: B.id,
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.identity_id, B.id);
      const after = await view(server, manifestId);
      assert.equal(after.identity.has(S.id), false, "the emptied identity is gone");
      assert.deepEqual(after.members(B.id), [...membersA, faceS.id].sort());
      assert.equal(after.identity.get(B.id)!.member_count, membersA.length + 1);
      assert.deepEqual(after.members(C), [faceB.id, personB.id].sort());
      before = after;
    });

    await t.step("bad requests get a JSON error and change nothing", async () => {
      const version = before.manifest.version;
      const expect = async (
        path: string,
        body: unknown,
        status: number,
        code: string,
      ) => {
        const reply = await server.json("POST", path, body);
        assert.equal(reply.status, status, `${path} ${JSON.stringify(body)}`);
        assert.equal(reply.body.error.code, code, JSON.stringify(reply.body));
        assert.ok(reply.body.error.message.length > 10);
      };
      const unknown = crypto.randomUUID();
      await expect(
        `/api/assets/${uploadIds[0]}/identity`,
        { identity_id: null },
        422,
        "not_a_face",
      );
      await expect(
        `/api/assets/${faceA.id}/identity`,
        { identity_id: unknown },
        404,
        "identity_not_found",
      );
      await expect(
        `/api/assets/${faceA.id}/identity`,
        { identity_id: "nope" },
        404,
        "identity_not_found",
      );
      await expect(
        `/api/assets/${unknown}/identity`,
        { identity_id: null },
        404,
        "asset_not_found",
      );
      await expect(`/api/assets/${faceA.id}/identity`, {}, 422, "validation_failed");
      await expect(
        `/api/assets/${faceA.id}/identity`,
        { identity_id: 5 },
        422,
        "validation_failed",
      );
      await expect(`/api/identities/${B.id}/merge`, { into: B.id }, 422, "merge_into_itself");
      await expect(`/api/identities/${B.id}/merge`, {}, 422, "validation_failed");
      await expect(`/api/identities/${B.id}/merge`, { into: 5 }, 422, "validation_failed");
      await expect(`/api/identities/${unknown}/merge`, { into: B.id }, 404, "identity_not_found");
      await expect(`/api/identities/${B.id}/merge`, { into: unknown }, 404, "identity_not_found");
      const malformed = await server.fetch(`/api/identities/${B.id}/merge`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{into:",
      });
      assert.equal(malformed.status, 400);
      assert.equal((await malformed.json()).error.code, "malformed_request");
      const listUnknown = await server.json("GET", `/api/manifests/${unknown}/identities`);
      assert.equal(listUnknown.status, 404);
      const after = await view(server, manifestId);
      assert.equal(after.manifest.version, version, "nothing changed");
      assert.deepEqual(after.identities, before.identities);
      assert.deepEqual(
        after.assets.map((a) => [a.id, a.identity_id]),
        before.assets.map((a) => [a.id, a.identity_id]),
      );
    });

    const byHand = {
      identities: before.identities,
      B: before.members(B.id),
      C: before.members(C),
    };
    const assertKept = (after: View) => {
      assert.deepEqual(after.members(B.id), byHand.B, "B keeps exactly its members");
      assert.deepEqual(after.members(C), byHand.C, "the moved face is still alone in C");
      for (const id of [B.id, C]) {
        const identity = after.identity.get(id)!;
        assert.equal(identity.locked, true);
        assert.deepEqual(identity, byHand.identities.find((i) => i.id === id));
      }
      assert.deepEqual(
        after.identities.map((i) => i.id).sort(),
        byHand.identities.map((i) => i.id).sort(),
        "identity ids unchanged",
      );
      assert.equal(after.identity.has(A.id), false);
      assert.equal(after.identity.has(S.id), false);
    };

    await t.step("while the manifest is PROCESSING, merge and move answer 409", async () => {
      // A run with nothing new to do ends within milliseconds (no contact sheet page changes),
      // before the requests below: a new name gives it the sheet to draw again meanwhile.
      const renamed = await server.json("PUT", `/api/manifests/${manifestId}`, {
        name: "Identities (again)",
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const started = await server.json("POST", `/api/manifests/${manifestId}/process`);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const merge = await server.json("POST", `/api/identities/${C}/merge`, { into: B.id });
      const move = await server.json("POST", `/api/assets/${faceA.id}/identity`, {
        identity_id: null,
      });
      const moveInto = await server.json("POST", `/api/assets/${faceA.id}/identity`, {
        identity_id: C,
      });
      for (const reply of [merge, move, moveInto]) {
        assert.equal(reply.status, 409, JSON.stringify(reply.body));
        assert.equal(reply.body.error.code, "manifest_processing");
        assert.equal(reply.body.error.details.job_id, started.body.job_id);
      }
      const done = await waitForProgress(server, manifestId);
      assert.equal(done.status, "complete", JSON.stringify(done));
    });

    await t.step("hand-made identities survive processing the manifest again", async () => {
      const after = await view(server, manifestId);
      assert.equal(after.manifest.status, "READY");
      assert.ok(after.manifest.version > before.manifest.version);
      assertKept(after);
      before = after;
    });

    await t.step("and survive reprocessing the moved face", async () => {
      const reply = await server.json("POST", `/api/assets/${faceB.id}/reprocess`);
      assert.ok(reply.status === 200 || reply.status === 202, JSON.stringify(reply.body));
      if (reply.status === 202) await waitForProgress(server, manifestId);
      else assert.equal(reply.body.identity_id, C);
      const after = await view(server, manifestId);
      assert.equal(after.manifest.status, "READY");
      const previous = before.byId.get(faceB.id)!;
      const face = after.byId.get(faceB.id)!;
      assert.ok(face.embedded_at > previous.embedded_at, "the face was embedded again");
      assert.ok(face.prompted_at > previous.prompted_at, "and described again");
      assert.equal(face.manifest_tag, previous.manifest_tag);
      assertKept(after);
    });
  } finally {
    await server.close();
  }
});
