/**
 * Identities: the people recognised across a manifest's photos.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { IdentityRow } from "../db/tables.ts";
import { getManifest } from "./manifests.ts";

/** A manifest's identities, oldest first; a 404 for an unknown manifest. */
export async function listIdentities(db: Db, manifestId: string): Promise<IdentityRow[]> {
  await getManifest(db, manifestId);
  return await db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).orderBy("created_at").orderBy("id").execute();
}
