/**
 * Identities: the people recognised across a manifest's photos, and the hand-made changes
 * (merge two, move one face) that lock them so reprocessing keeps what the user decided.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import type { AssetRow, Database, IdentityRow } from "../db/tables.ts";
import { conflict, invalid } from "../errors.ts";
import { getAsset } from "./assets.ts";
import { recountIdentities } from "./identity_counts.ts";
import { now } from "../db/timestamp.ts";
import { assertNotProcessing, getManifest, touchManifest } from "./manifests.ts";
import { rowsOfManifest } from "./selection.ts";

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
    await absorb(trx, target, [source]);
    return await getIdentity(trx, target.id);
  });
}

/**
 * Merges several identities of a manifest into one, in one transaction: `into` when given
 * (it need not be among `ids`), else the one of `ids` with the most members (the first named
 * on a tie). Unknown ids or ids of another manifest → 422 naming them; fewer than two
 * identities in all → 422; a PROCESSING manifest → 409. The one kept ends locked.
 */
export async function mergeManyIdentities(
  db: Db,
  manifestId: string,
  ids: readonly string[],
  into?: string,
): Promise<IdentityRow> {
  return await db.transaction().execute(async (trx) => {
    const manifest = await getManifest(trx, manifestId);
    const named = await rowsOfManifest(
      trx,
      "identities",
      manifestId,
      into === undefined ? ids : [...ids, into],
    );
    const target = into === undefined
      ? named.reduce((best, row) => (row.member_count > best.member_count ? row : best))
      : named.find((row) => row.id === into) as IdentityRow;
    const sources = named.filter((row) => row.id !== target.id);
    if (sources.length === 0) {
      throw invalid(
        "merge_needs_two",
        "Merging needs at least two different identities: select another person to merge.",
        { ids: named.map((row) => row.id) },
      );
    }
    await assertNotProcessing(trx, manifest);
    await absorb(trx, target, sources);
    return await getIdentity(trx, target.id);
  });
}

/**
 * Moves every member of `sources` into `target` and deletes them; `target` ends locked so
 * reprocessing keeps what a person decided. The manifest is checked by the caller.
 */
async function absorb(
  trx: Transaction<Database>,
  target: IdentityRow,
  sources: readonly IdentityRow[],
): Promise<void> {
  const ids = sources.map((source) => source.id);
  await trx.updateTable("assets").set({ identity_id: target.id, updated_at: now() })
    .where("identity_id", "in", ids).execute();
  await trx.updateTable("identities").set({ locked: 1 }).where("id", "=", target.id).execute();
  await trx.deleteFrom("identities").where("id", "in", ids).execute();
  await recountIdentities(trx, target.manifest_id);
  await touchManifest(trx, target.manifest_id);
}

/**
 * Names an identity (null takes the name away). The identity ends locked: a name is a
 * person's decision, and only locked identities are kept as they are when faces are matched
 * again.
 */
export async function renameIdentity(
  db: Db,
  id: string,
  name: string | null,
): Promise<IdentityRow> {
  return await db.transaction().execute(async (trx) => {
    const identity = await getIdentity(trx, id);
    await assertNotProcessing(trx, await getManifest(trx, identity.manifest_id));
    await trx.updateTable("identities").set({ name, locked: 1 }).where("id", "=", id).execute();
    await touchManifest(trx, identity.manifest_id);
    return await getIdentity(trx, id);
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
