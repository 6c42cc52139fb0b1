/**
 * A manifest's contact sheet, page by page, as clients read it: the list of pages, one page's
 * JPEG. The pipeline draws and stores the pages (src/pipeline/steps/contact_sheet.ts);
 * `releaseContactSheetBlobs` (blob_refs.ts) deletes the blobs of pages that are gone.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { ContactSheetRow } from "../db/tables.ts";
import { AppError } from "../errors.ts";
import type { BlobStore } from "../storage/blob_store.ts";
import { getManifest } from "./manifests.ts";

/** One page of a contact sheet as clients see it. */
export type ContactSheetPageView = {
  page: number;
  url: string;
  first_cell: number;
  last_cell: number;
};

/**
 * Where a manifest's contact sheet is served: page 1 without `page` (the manifest's
 * `contact_sheet_url`, as before there were pages), any page with it.
 */
export function contactSheetUrl(manifestId: string, page?: number): string {
  const base = `/api/manifests/${manifestId}/contact-sheet`;
  return page === undefined ? base : `${base}?page=${page}`;
}

/** The view of a page row. */
export function contactSheetPageToJson(row: ContactSheetRow): ContactSheetPageView {
  return {
    page: row.page,
    url: contactSheetUrl(row.manifest_id, row.page),
    first_cell: row.first_cell,
    last_cell: row.last_cell,
  };
}

/** The pages of a manifest's sheet in order (none before its first run); 404 for no manifest. */
export async function listContactSheetPages(
  db: Db,
  manifestId: string,
): Promise<ContactSheetRow[]> {
  await getManifest(db, manifestId);
  return await contactSheetPages(db, manifestId);
}

/** The stored pages of a manifest, in order. */
export async function contactSheetPages(db: Db, manifestId: string): Promise<ContactSheetRow[]> {
  return await db.selectFrom("contact_sheets").selectAll().where("manifest_id", "=", manifestId)
    .orderBy("page").execute();
}

/**
 * One page's JPEG and its ETag; 404 `contact_sheet_not_found` before the sheet was drawn, 404
 * `contact_sheet_page_not_found` for a page past the last.
 */
export async function readContactSheetPage(
  deps: { db: Db; blobs: BlobStore },
  manifestId: string,
  page: number,
): Promise<{ bytes: Uint8Array; etag: string }> {
  const manifest = await getManifest(deps.db, manifestId);
  const row = await deps.db.selectFrom("contact_sheets").selectAll()
    .where("manifest_id", "=", manifestId).where("page", "=", page).executeTakeFirst();
  if (row) {
    const bytes = await deps.blobs.get(row.blob_key);
    if (bytes) return { bytes, etag: row.blob_key.split("/").pop()! };
    // The row was just replaced by a run that released its blob, or the file was lost.
    throw new AppError(
      "not_found",
      `Page ${page} of manifest ${manifestId}'s contact sheet is missing from storage: ask ` +
        `again, or process the manifest (POST /api/manifests/${manifestId}/process) to draw it.`,
      { code: "contact_sheet_not_found", details: { page } },
    );
  }
  const { count } = await deps.db.selectFrom("contact_sheets")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("manifest_id", "=", manifestId).executeTakeFirstOrThrow();
  const pages = Number(count);
  if (pages === 0) {
    // The last run's warning already says what happened and what to do.
    const message = manifest.contact_sheet_error
      ? `Manifest ${manifestId} has no contact sheet yet. ${manifest.contact_sheet_error}`
      : `Manifest ${manifestId} has no contact sheet yet: process it with ` +
        `POST /api/manifests/${manifestId}/process.`;
    throw new AppError("not_found", message, { code: "contact_sheet_not_found" });
  }
  throw new AppError(
    "not_found",
    `Manifest ${manifestId}'s contact sheet has ${pages} page${pages === 1 ? "" : "s"}, so ` +
      `there is no page ${page}: ask for a page from 1 to ${pages} ` +
      `(GET /api/manifests/${manifestId}/contact-sheets lists them).`,
    { code: "contact_sheet_page_not_found", details: { page, pages } },
  );
}
