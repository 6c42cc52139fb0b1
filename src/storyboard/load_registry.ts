/**
 * Reads a manifest's assets and identities and builds its registry.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { getManifest } from "../registry/manifests.ts";
import { buildRegistry, type Registry } from "./registry.ts";

/** The registry of manifest `manifestId` as it is now (404 if it does not exist). */
export async function loadRegistry(db: Db, manifestId: string): Promise<Registry> {
  const manifest = await getManifest(db, manifestId);
  const assets = await db.selectFrom("assets").selectAll().where("manifest_id", "=", manifestId)
    .execute();
  const identities = await db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).execute();
  return buildRegistry(manifest, assets, identities);
}
