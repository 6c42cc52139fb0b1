/**
 * Hands out stable tags inside a database transaction (the rules live in `tags.ts`).
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Database } from "../db/tables.ts";
import { formatTag, nextTagNumber, tagPrefix } from "./tags.ts";
import type { AssetType } from "../db/vocabulary.ts";

/**
 * Reserves `count` new tags for assets of `type` in a manifest and records the counter.
 * Call it inside the transaction that writes the assets, so two writers never get one tag.
 */
export async function allocateTags(
  trx: Transaction<Database>,
  manifestId: string,
  type: AssetType,
  count = 1,
): Promise<string[]> {
  if (count === 0) return [];
  const prefix = tagPrefix(type);
  const counter = await trx.selectFrom("tag_counters").select("last_number")
    .where("manifest_id", "=", manifestId).where("prefix", "=", prefix)
    .executeTakeFirst();
  const inUse = await trx.selectFrom("assets").select("manifest_tag")
    .where("manifest_id", "=", manifestId).where("manifest_tag", "like", `${prefix}_%`) // `_` matches any char; tags.ts filters exactly
    .execute();
  const first = nextTagNumber(
    counter?.last_number,
    inUse.flatMap((row) => (row.manifest_tag ? [row.manifest_tag] : [])),
    prefix,
  );
  const last = first + count - 1;
  await trx.insertInto("tag_counters")
    .values({ manifest_id: manifestId, prefix, last_number: last })
    .onConflict((oc) => oc.columns(["manifest_id", "prefix"]).doUpdateSet({ last_number: last }))
    .execute();
  return Array.from({ length: count }, (_, i) => formatTag(prefix, first + i));
}
