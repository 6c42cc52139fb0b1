/**
 * The contact sheet of a manifest (docs/pipeline.md, steps 1 and 5), in pages: every asset
 * with an image, in display order, numbered on across pages, each cell drawn in a worker from
 * the asset's stored 256 px thumbnail — never from its full-size image.
 *
 * Each page row keeps a fingerprint of what the page shows, so a run draws only the pages
 * whose cells changed, and deletes the pages past the new last one. A sheet that cannot be
 * drawn is a warning kept on the manifest (`contact_sheet_error`), never a failed job: the
 * sheet is a convenience, and losing a whole run's work to it would be out of proportion.
 *
 * @module
 */
import type { Db } from "../../db/database.ts";
import type { ContactSheetRow } from "../../db/tables.ts";
import { now } from "../../db/timestamp.ts";
import { composeContactSheetIn } from "../../engine/contact_sheet_client.ts";
import type { EnginePool } from "../../engine/engine_pool.ts";
import { DEFAULT_THUMBNAIL_SIZE } from "../../engine/image_service.ts";
import {
  CONTACT_SHEET_DRAWING_VERSION,
  DEFAULT_CONTACT_SHEET_TITLE,
} from "../../imaging/contact_sheet.ts";
import { JobInterruptedError } from "../../jobs/job_control.ts";
import { log } from "../../log.ts";
import { releaseContactSheetBlobs, thumbnailBlobKey } from "../../registry/blob_refs.ts";
import { contactSheetPages, contactSheetUrl } from "../../registry/contact_sheets.ts";
import { getManifest } from "../../registry/manifests.ts";
import type { BlobStore } from "../../storage/blob_store.ts";
import { sha256Hex } from "../../storage/sha256.ts";
import { assetFieldsInDisplayOrder } from "../../registry/assets.ts";
import { inLanes } from "../lanes.ts";

/** Blob lookups in flight at once while a refresh checks what is stored. */
const BLOB_CHECK_LANES = 16;

/** What drawing a manifest's sheet needs. */
export interface ContactSheetDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly pool: EnginePool;
  /** Cells per page (`CONTACT_SHEET_PAGE_SIZE`). */
  readonly contactSheetPageSize: number;
}

/** One asset as its cell shows it. */
export interface SheetCell {
  readonly name: string;
  readonly assetType: string;
  readonly tag: string | null;
  /** The blob key of its stored thumbnail; null when there is none (a placeholder is drawn). */
  readonly thumbnailKey: string | null;
}

/** One page as it should be: its place in the sheet, its cells and their fingerprint. */
export interface PlannedPage {
  /** 1, 2, … */
  readonly page: number;
  /** Number of its first cell, counted across pages from 1. */
  readonly firstCell: number;
  /** Number of its last cell (`firstCell - 1` on the empty page of a sheet without cells). */
  readonly lastCell: number;
  readonly cells: readonly SheetCell[];
  /** SHA-256 hex of everything the page's pixels depend on. */
  readonly fingerprint: string;
}

/** What the page heads say. */
export interface SheetHeading {
  readonly title: string;
  /** The manifest's name. */
  readonly subtitle: string;
}

/**
 * Splits `cells` into pages of at most `pageSize`, numbered on across pages. A sheet without
 * cells is one empty page (it says "No images yet").
 */
export async function planPages(
  cells: readonly SheetCell[],
  pageSize: number,
  heading: SheetHeading,
): Promise<PlannedPage[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new RangeError(
      `A contact sheet page holds a whole number ≥ 1 of cells, not ${pageSize}.`,
    );
  }
  const count = Math.max(1, Math.ceil(cells.length / pageSize));
  return await Promise.all(Array.from({ length: count }, async (_, index) => {
    const page = index + 1;
    const firstCell = index * pageSize + 1;
    const own = cells.slice(index * pageSize, page * pageSize);
    // Only what the page's pixels depend on: its own cells and heading, never the total or
    // the page count, so a change on one page leaves every other page's fingerprint alone.
    const drawn = JSON.stringify({
      drawing: CONTACT_SHEET_DRAWING_VERSION,
      ...heading,
      pageSize,
      page,
      firstCell,
      cells: own.map((cell) => [cell.name, cell.assetType, cell.tag, cell.thumbnailKey]),
    });
    const fingerprint = await sha256Hex(new TextEncoder().encode(drawn));
    return { page, firstCell, lastCell: firstCell + own.length - 1, cells: own, fingerprint };
  }));
}

/** What a refresh of the sheet did. */
export interface ContactSheetOutcome {
  /** Pages the sheet has now; null when the refresh failed before it knew. */
  readonly pages: number | null;
  /** Pages drawn (and stored) by this refresh; the others were already up to date. */
  readonly drawn: readonly number[];
  /** Why some or all of the sheet could not be drawn (also on the manifest), or null. */
  readonly warning: string | null;
}

/**
 * Brings a manifest's contact sheet up to date: draws the pages whose cells changed, deletes
 * the pages past the last, and records on the manifest why a page could not be drawn (or
 * clears that). It throws only when the job is being interrupted (`signal` aborted).
 */
export async function refreshContactSheet(
  deps: ContactSheetDeps,
  manifestId: string,
  signal?: AbortSignal,
): Promise<ContactSheetOutcome> {
  try {
    return await updatePages(deps, manifestId);
  } catch (error) {
    if (signal?.aborted || error instanceof JobInterruptedError) throw error;
    const warning = `The contact sheet could not be drawn: ${sentence(error)} ` +
      "Process the manifest again to retry.";
    log.warn("The contact sheet could not be drawn.", { manifest_id: manifestId, error });
    await deps.db.updateTable("manifests").set({ contact_sheet_error: warning })
      .where("id", "=", manifestId).execute();
    return { pages: null, drawn: [], warning };
  }
}

async function updatePages(
  deps: ContactSheetDeps,
  manifestId: string,
): Promise<ContactSheetOutcome> {
  const manifest = await getManifest(deps.db, manifestId);
  const heading = { title: DEFAULT_CONTACT_SHEET_TITLE, subtitle: manifest.name };
  const assets = (await assetFieldsInDisplayOrder(deps.db, manifestId))
    .filter((a) => a.image_key !== null);
  // A thumbnail may appear later (the thumbnail route stores the ones it makes), so each is
  // looked up; a few at a time, as a bucket answers each with a request of its own.
  const present = new Map<string, boolean>();
  const keys = assets.map((asset) => thumbnailBlobKey(asset.image_key!, DEFAULT_THUMBNAIL_SIZE));
  await inLanes(keys, BLOB_CHECK_LANES, async (key) => {
    present.set(key, await deps.blobs.has(key));
  });
  const cells = assets.map((asset, index): SheetCell => ({
    name: asset.name,
    assetType: asset.asset_type,
    tag: asset.manifest_tag,
    thumbnailKey: present.get(keys[index]) ? keys[index] : null,
  }));
  const planned = await planPages(cells, deps.contactSheetPageSize, heading);
  const rows = new Map((await contactSheetPages(deps.db, manifestId)).map((r) => [r.page, r]));
  const toDraw: PlannedPage[] = [];
  await inLanes(planned, BLOB_CHECK_LANES, async (page) => {
    const row = rows.get(page.page);
    // A page whose blob went missing is drawn again even though nothing in it changed.
    const fresh = row && row.fingerprint === page.fingerprint && await deps.blobs.has(row.blob_key);
    if (!fresh) toDraw.push(page);
  });
  toDraw.sort((a, b) => a.page - b.page);

  const drawn: { page: PlannedPage; key: string }[] = [];
  const failed: { page: number; error: unknown }[] = [];
  // Pages are independent: one that fails leaves the others to be drawn. One page more than
  // there are workers waits in the pool's queue, so none idles while this thread reads
  // thumbnails or stores a page.
  await inLanes(toDraw, deps.pool.stats().size + 1, async (page) => {
    try {
      drawn.push({ page, key: await drawPage(deps, manifestId, heading, page) });
    } catch (error) {
      failed.push({ page: page.page, error });
    }
  });
  failed.sort((a, b) => a.page - b.page);
  const warning = failed.length === 0 ? null : pagesWarning(failed, planned.length);
  if (warning) {
    log.warn("Contact sheet pages could not be drawn.", {
      manifest_id: manifestId,
      pages: failed.map((f) => f.page),
      error: failed[0].error,
    });
  }

  let released: string[];
  try {
    released = await savePages(deps.db, manifestId, rows, drawn, planned.length, warning);
  } catch (error) {
    // Nothing refers to the blobs just written: do not leave them behind.
    await releaseContactSheetBlobs(deps.db, deps.blobs, drawn.map((d) => d.key));
    throw error;
  }
  await releaseContactSheetBlobs(deps.db, deps.blobs, released);
  return {
    pages: planned.length,
    drawn: drawn.map((d) => d.page.page).sort((a, b) => a - b),
    warning,
  };
}

/** Composes one page in a worker from the stored thumbnails; returns its blob key. */
async function drawPage(
  deps: ContactSheetDeps,
  manifestId: string,
  heading: SheetHeading,
  page: PlannedPage,
): Promise<string> {
  const cells = await Promise.all(page.cells.map(async (cell) => ({
    // A thumbnail deleted since it was looked up draws a placeholder, like a missing one.
    bytes: cell.thumbnailKey ? await deps.blobs.get(cell.thumbnailKey) : null,
    name: cell.name,
    assetType: cell.assetType,
    tag: cell.tag,
  })));
  const jpeg = await composeContactSheetIn(deps.pool, {
    ...heading,
    cells,
    firstNumber: page.firstCell,
    page: page.page,
  });
  const key = `sheets/${manifestId}/${(await sha256Hex(jpeg)).slice(0, 32)}.jpg`;
  await deps.blobs.put(key, jpeg);
  return key;
}

/**
 * Stores the drawn pages, deletes those past `pageCount` and points the manifest at page 1,
 * in one transaction. Returns the blob keys the rows no longer use.
 */
async function savePages(
  db: Db,
  manifestId: string,
  stored: ReadonlyMap<number, ContactSheetRow>,
  drawn: readonly { page: PlannedPage; key: string }[],
  pageCount: number,
  warning: string | null,
): Promise<string[]> {
  return await db.transaction().execute(async (trx) => {
    const at = now();
    const released: string[] = [];
    for (const { page, key } of drawn) {
      const old = stored.get(page.page);
      if (old) released.push(old.blob_key);
      const values = {
        first_cell: page.firstCell,
        last_cell: page.lastCell,
        blob_key: key,
        fingerprint: page.fingerprint,
        updated_at: at,
      };
      await trx.insertInto("contact_sheets")
        .values({ manifest_id: manifestId, page: page.page, created_at: at, ...values })
        .onConflict((oc) => oc.columns(["manifest_id", "page"]).doUpdateSet(values))
        .execute();
    }
    const gone = await trx.deleteFrom("contact_sheets").where("manifest_id", "=", manifestId)
      .where("page", ">", pageCount).returning("blob_key").execute();
    released.push(...gone.map((row) => row.blob_key));
    const first = await trx.selectFrom("contact_sheets").select("blob_key")
      .where("manifest_id", "=", manifestId).where("page", "=", 1).executeTakeFirst();
    await trx.updateTable("manifests").set({
      contact_sheet_key: first?.blob_key ?? null,
      contact_sheet_url: first ? contactSheetUrl(manifestId) : null,
      contact_sheet_error: warning,
    }).where("id", "=", manifestId).execute();
    return released;
  });
}

function pagesWarning(failed: readonly { page: number; error: unknown }[], pages: number): string {
  const which = failed.length === 1
    ? `page ${failed[0].page}`
    : `pages ${failed.map((f) => f.page).join(", ")}`;
  const rest = failed.length < pages ? "The other pages are up to date. " : "";
  return `Contact sheet ${which} of ${pages} could not be drawn: ${sentence(failed[0].error)} ` +
    `${rest}Process the manifest again to retry.`;
}

/** An error's message as a sentence ending in a full stop. */
function sentence(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
