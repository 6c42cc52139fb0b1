/**
 * Reading one row by its id, the way every "get" of the service does it: an id that is not
 * a UUID, or one that names nothing, is the same 404 with the same sentence.
 *
 * @module
 */
import type { Selectable } from "kysely";
import { notFound } from "../errors.ts";
import type { Db } from "./database.ts";
import type { Database } from "./tables.ts";
import { isUuid } from "./uuid.ts";

/** Tables whose rows are found by a UUID `id`. */
export type TableWithId = "manifests" | "assets" | "identities" | "jobs" | "projects";

/** The row `id` of `table`, or a 404 naming `what` ("Manifest", "Asset" …) and the id. */
export async function getById<T extends TableWithId>(
  db: Db,
  table: T,
  what: string,
  id: string,
): Promise<Selectable<Database[T]>> {
  // Every table of TableWithId has a string `id`, which Kysely cannot see through a generic
  // table name: the query is typed as one of them and the row retyped below.
  const row = isUuid(id)
    ? await db.selectFrom(table as "assets").selectAll().where("id", "=", id).executeTakeFirst()
    : undefined;
  if (!row) throw notFound(what, id);
  return row as Selectable<Database[T]>;
}
