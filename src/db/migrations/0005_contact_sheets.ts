/**
 * Contact sheets in pages: a manifest's sheet is split into pages of at most
 * `CONTACT_SHEET_PAGE_SIZE` cells, one row each, so a run redraws only the pages whose cells
 * changed (each row keeps a fingerprint of what it shows). A sheet that cannot be drawn no
 * longer fails the job: why is kept in `manifests.contact_sheet_error`.
 *
 * A sheet drawn before this migration becomes page 1, numbered from 1; its fingerprint is
 * empty, so the next run redraws it. How many cells it had was never stored: the manifest's
 * assets with an image are what the last finalizing drew.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";

/** Creates `contact_sheets`, adds `manifests.contact_sheet_error`, keeps existing sheets. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable("contact_sheets")
    .addColumn(
      "manifest_id",
      "text",
      (c) => c.notNull().references("manifests.id").onDelete("cascade"),
    )
    .addColumn("page", "integer", (c) => c.notNull())
    .addColumn("first_cell", "integer", (c) => c.notNull())
    .addColumn("last_cell", "integer", (c) => c.notNull())
    .addColumn("blob_key", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("contact_sheets_pk", ["manifest_id", "page"])
    .execute();
  await db.schema.alterTable("manifests").addColumn("contact_sheet_error", "text").execute();
  await sql`insert into contact_sheets
      (manifest_id, page, first_cell, last_cell, blob_key, fingerprint, created_at, updated_at)
    select m.id, 1, 1,
      (select count(*) from assets a where a.manifest_id = m.id and a.image_key is not null),
      m.contact_sheet_key, '', m.updated_at, m.updated_at
    from manifests m where m.contact_sheet_key is not null`.execute(db);
}

/** Drops them again; page 1 stays in `manifests.contact_sheet_key`, later pages are lost. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("manifests").dropColumn("contact_sheet_error").execute();
  await db.schema.dropTable("contact_sheets").execute();
}
