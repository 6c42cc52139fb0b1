/**
 * Keeping identities true to their members after faces moved or were deleted. Separate
 * from the identity operations so that deleting an asset can call it without the asset and
 * identity modules importing each other.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Database } from "../db/tables.ts";

/** Recounts members, drops identities left empty, repoints primaries that left. */
export async function recountIdentities(
  trx: Transaction<Database>,
  manifestId: string,
): Promise<void> {
  await trx.updateTable("identities").set((eb) => ({
    member_count: eb.selectFrom("assets").select(eb.fn.countAll<number>().as("n"))
      .whereRef("assets.identity_id", "=", "identities.id"),
  })).where("manifest_id", "=", manifestId).execute();
  await trx.deleteFrom("identities").where("manifest_id", "=", manifestId)
    .where("member_count", "=", 0).execute();
  const identities = await trx.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).execute();
  for (const identity of identities) {
    const primary = identity.primary_asset_id
      ? await trx.selectFrom("assets").select("identity_id")
        .where("id", "=", identity.primary_asset_id).executeTakeFirst()
      : undefined;
    if (primary?.identity_id === identity.id) continue;
    const member = await trx.selectFrom("assets").select("id")
      .where("identity_id", "=", identity.id)
      .orderBy("is_face_crop", "desc").orderBy("quality_score", "desc").executeTakeFirst();
    await trx.updateTable("identities").set({ primary_asset_id: member?.id ?? null })
      .where("id", "=", identity.id).execute();
  }
}
