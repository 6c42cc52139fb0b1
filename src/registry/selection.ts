/**
 * The rows a bulk request names: every id must exist and belong to the manifest in the
 * request's path, or nothing is done and the error names the ids that do not.
 *
 * @module
 */
import type { Selectable, Transaction } from "kysely";
import type { Database } from "../db/tables.ts";
import { isUuid } from "../db/uuid.ts";
import { invalid } from "../errors.ts";
import { chunks } from "./assets.ts";

/** Tables a bulk request selects rows of. */
export type SelectableTable = "assets" | "identities";

const NOUN: Record<SelectableTable, { one: string; many: string }> = {
  assets: { one: "asset", many: "assets" },
  identities: { one: "identity", many: "identities" },
};

/** At most this many ids are written out in a message; `details` lists them all. */
const NAMED_IN_MESSAGE = 5;

/**
 * The rows of `table` named by `ids` (repeats ignored), in the order first named. Unknown ids
 * → 422 `{table}_not_found`; ids of another manifest → 422 `{table}_in_other_manifest`; both
 * with `details.ids`.
 */
export async function rowsOfManifest<T extends SelectableTable>(
  trx: Transaction<Database>,
  table: T,
  manifestId: string,
  ids: readonly string[],
): Promise<Selectable<Database[T]>[]> {
  const wanted = [...new Set(ids)];
  // Both tables have a string `id` and `manifest_id`, which Kysely cannot see through a
  // generic table name: the query is typed as one of them and the rows retyped below.
  const found = new Map<string, { id: string; manifest_id: string }>();
  for (const part of chunks(wanted.filter(isUuid))) {
    const rows = await trx.selectFrom(table as "identities").selectAll().where("id", "in", part)
      .execute();
    for (const row of rows) found.set(row.id, row);
  }
  const noun = NOUN[table];
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw invalid(
      `${table}_not_found`,
      `${count(missing.length, noun)} of the ${count(wanted.length, noun)} named ` +
        `${missing.length === 1 ? "does" : "do"} not exist: ${list(missing)}. Nothing was ` +
        "changed: reload the manifest (they may have been deleted) and select again.",
      { ids: missing },
    );
  }
  const foreign = wanted.filter((id) => found.get(id)?.manifest_id !== manifestId);
  if (foreign.length > 0) {
    throw invalid(
      `${table}_in_other_manifest`,
      `${count(foreign.length, noun)} named ${foreign.length === 1 ? "belongs" : "belong"} to ` +
        `another manifest: ${list(foreign)}. Nothing was changed: a bulk request applies to ` +
        `the ${noun.many} of manifest ${manifestId} only.`,
      { ids: foreign },
    );
  }
  return wanted.map((id) => found.get(id)) as Selectable<Database[T]>[];
}

/** `1 asset`, `3 assets`. */
function count(n: number, noun: { one: string; many: string }): string {
  return `${n} ${n === 1 ? noun.one : noun.many}`;
}

/** The first ids, and how many more. */
function list(ids: readonly string[]): string {
  const shown = ids.slice(0, NAMED_IN_MESSAGE).join(", ");
  const more = ids.length - NAMED_IN_MESSAGE;
  return more > 0 ? `${shown} and ${more} more` : shown;
}
