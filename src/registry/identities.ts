/**
 * Identities: the people recognised across a manifest's photos, and the hand-made changes
 * (merge two, move one face) that lock them so reprocessing keeps what the user decided.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import type { AssetRow, IdentityRow } from "../db/tables.ts";
import { conflict, invalid } from "../errors.ts";
import { getAsset } from "./assets.ts";
import { recountIdentities } from "./identity_counts.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest, touchManifest } from "./manifests.ts";

/** A manifest's identities, oldest first; a 404 for an unknown manifest. */
export async function listIdentities(db: Db, manifestId: string): Promise<IdentityRow[]> {
  await getManifest(db, manifestId);
  return await db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).orderBy("created_at").orderBy("id").execute();
}

/** The identity `id`, or a 404. */
export function getIdentity(db: Db, id: string): Promise<IdentityRow> {
  return getById(db, "identities", "Identity", id);
}

/** Moves every member of `id` into `into` (same manifest); both end locked. */
export async function mergeIdentities(db: Db, id: string, into: string): Promise<IdentityRow> {
  return await db.transaction().execute(async (trx) => {
    const source = await getIdentity(trx, id);
    const target = await getIdentity(trx, into);
    if (source.id === target.id) {
      throw invalid("merge_into_itself", "An identity cannot be merged into itself: pick another.");
    }
    if (source.manifest_id !== target.manifest_id) {
      throw conflict(
        "identity_other_manifest",
        `Identity ${into} belongs to another manifest: merge identities of one manifest only.`,
      );
    }
    await assertNotProcessing(trx, await getManifest(trx, target.manifest_id));
    await trx.updateTable("assets").set({ identity_id: target.id, updated_at: now() })
      .where("identity_id", "=", source.id).execute();
    await trx.updateTable("identities").set({ locked: 1 }).where("id", "=", target.id).execute();
    await trx.deleteFrom("identities").where("id", "=", source.id).execute();
    await recountIdentities(trx, target.manifest_id);
    await touchManifest(trx, target.manifest_id);
    return await getIdentity(trx, target.id);
  });
}

/**
 * Moves one face (with the person crop around it) to another identity of its manifest, or
 * to a new one when `identityId` is null. The identities involved end locked.
 */
export async function moveFace(
  db: Db,
  assetId: string,
  identityId: string | null,
): Promise<AssetRow> {
  return await db.transaction().execute(async (trx) => {
    const face = await getAsset(trx, assetId);
    if (face.is_face_crop !== 1) {
      throw invalid(
        "not_a_face",
        `Asset ${assetId} is not a face crop: only faces can be moved between identities.`,
      );
    }
    await assertNotProcessing(trx, await getManifest(trx, face.manifest_id));
    let target: string;
    if (identityId === null) {
      target = crypto.randomUUID();
      await trx.insertInto("identities").values({
        id: target,
        manifest_id: face.manifest_id,
        primary_asset_id: face.id,
        locked: 1,
        created_at: now(),
      }).execute();
    } else {
      const identity = await getIdentity(trx, identityId);
      if (identity.manifest_id !== face.manifest_id) {
        throw conflict(
          "identity_other_manifest",
          `Identity ${identityId} belongs to another manifest: move faces within one manifest.`,
        );
      }
      target = identity.id;
    }
    const moving = [face.id];
    const parent = face.source_asset_id ? await getAsset(trx, face.source_asset_id) : null;
    if (parent?.extraction_role === "person" && parent.identity_id === face.identity_id) {
      moving.push(parent.id);
    }
    await trx.updateTable("assets").set({ identity_id: target, updated_at: now() })
      .where("id", "in", moving).execute();
    const touched = [target, face.identity_id].filter((id): id is string => id !== null);
    await trx.updateTable("identities").set({ locked: 1 }).where("id", "in", touched).execute();
    await recountIdentities(trx, face.manifest_id);
    await touchManifest(trx, face.manifest_id);
    return await getAsset(trx, face.id);
  });
}
