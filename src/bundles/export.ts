/**
 * Exporting a manifest as a bundle, streamed.
 *
 * The rows are read once, up front (that is when an unknown or PROCESSING manifest is
 * refused); the ZIP is then written as the reader consumes it (`bundle_entries.ts`): images
 * are streamed from the blob store one at a time, a chunk at a time, `manifest.json` a few
 * assets at a time, every entry stored, and nothing is made before the reader asks for it.
 * Memory then stays flat whatever the manifest's size: the rows, and a chunk or two.
 *
 * @module
 */
import { makeZip } from "client-zip";
import type { Db } from "../db/database.ts";
import type { AssetFields, IdentityRow, ManifestRow } from "../db/tables.ts";
import { now } from "../db/timestamp.ts";
import { log } from "../log.ts";
import { assetFieldsInDisplayOrder } from "../registry/assets.ts";
import { contactSheetPages } from "../registry/contact_sheets.ts";
import { assertNotProcessing, getManifest } from "../registry/manifests.ts";
import { type BlobStore, contentKey } from "../storage/blob_store.ts";
import { buildRegistry, renderRegistryBlock } from "../storyboard/registry.ts";
import { type BundleContents, bundleContents } from "./document.ts";
import { contactSheetEntry } from "./format.ts";
import { bundleFileName, bundleReadme } from "./readme.ts";
import { type BlobEntry, bundleEntries } from "./bundle_entries.ts";

/** What an export reads from. */
export interface ExportDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
}

/** A blob a contact sheet page is read from. */
interface SheetPage {
  readonly entry: string;
  readonly key: string;
}

/** A manifest read and ready to be written as a bundle. */
export interface BundleExport {
  /** A safe download name, `<manifest name>-bundle.zip`. */
  readonly filename: string;
  /** The manifest's name as it is, for a header that can carry it. */
  readonly manifestName: string;
  /**
   * The ZIP, written as it is read. A failure half-way (a blob gone missing) errors the
   * stream, so a reader never takes a truncated archive for a whole one.
   */
  stream(): ReadableStream<Uint8Array>;
}

/** Reads manifest `manifestId` for export: 404 when unknown, 409 while PROCESSING. */
export async function prepareExport(deps: ExportDeps, manifestId: string): Promise<BundleExport> {
  const manifest = await getManifest(deps.db, manifestId);
  await assertNotProcessing(deps.db, manifest);
  // Without face embeddings: a bundle carries none.
  const assets = await assetFieldsInDisplayOrder(deps.db, manifestId);
  const identities = await deps.db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).orderBy("created_at").orderBy("id").execute();
  const counters = await deps.db.selectFrom("tag_counters").select(["prefix", "last_number"])
    .where("manifest_id", "=", manifestId).orderBy("prefix").execute();
  const pages = await sheetPages(deps, manifestId);
  const contents = bundleContents({
    manifest,
    assets,
    identities,
    counters,
    contactSheetPages: pages.map((page) => page.entry),
    contactSheetPageSize: pages[0]?.cells,
    exportedAt: now(),
  });
  const registry = registryText(manifest, assets, identities);
  return {
    filename: bundleFileName(manifest.name),
    manifestName: manifest.name,
    stream: () => zipStream(deps.blobs, contents, registry, pages, manifestId),
  };
}

/**
 * The stored pages of the manifest's contact sheet, in order, up to the first whose blob is
 * gone (a page drawn again a moment ago, or a lost file): the pages a bundle lists are
 * numbered from 1 without a gap, and the next processing draws the missing ones again.
 */
async function sheetPages(
  deps: ExportDeps,
  manifestId: string,
): Promise<(SheetPage & { cells: number })[]> {
  const pages: (SheetPage & { cells: number })[] = [];
  for (const row of await contactSheetPages(deps.db, manifestId)) {
    if (row.page !== pages.length + 1 || !await deps.blobs.has(row.blob_key)) break;
    pages.push({
      entry: contactSheetEntry(row.page),
      key: row.blob_key,
      cells: row.last_cell - row.first_cell + 1,
    });
  }
  return pages;
}

/** Writes the bundle of `manifestId` into `sink` (a file, `/dev/null`, a socket). */
export async function exportBundleTo(
  deps: ExportDeps,
  manifestId: string,
  sink: WritableStream<Uint8Array>,
): Promise<void> {
  await (await prepareExport(deps, manifestId)).stream().pipeTo(sink);
}

/** The registry block of the same rows the document is made of. */
function registryText(
  manifest: ManifestRow,
  assets: readonly AssetFields[],
  identities: readonly IdentityRow[],
): string {
  return renderRegistryBlock(buildRegistry(manifest, assets, identities));
}

/**
 * The bundle as a ZIP stream. `client-zip` writes it: entries stored (images are compressed
 * already, and the text entries are small beside them), pulled one at a time from
 * {@linkcode bundleEntries} when the reader asks for more bytes, which is the backpressure.
 * zip.js, which reads bundles, wrote them before; it builds a chain of web streams per
 * entry, and on a manifest of thousands of assets that garbage alone grew the process by
 * more than the images did.
 */
function zipStream(
  blobs: BlobStore,
  contents: BundleContents,
  registry: string,
  pages: readonly SheetPage[],
  manifestId: string,
): ReadableStream<Uint8Array> {
  const { document } = contents;
  return makeZip(bundleEntries(blobs, {
    readme: bundleReadme(document),
    document,
    registry,
    blobs: blobEntries(contents.images, pages),
    at: new Date(document.exported_at),
  }, (error) => log.info("Export ended before the archive was complete.", { manifestId, error })));
}

/** Images, then contact sheet pages, as blobs to read; made one by one, not listed. */
function* blobEntries(
  images: BundleContents["images"],
  pages: readonly SheetPage[],
): Generator<BlobEntry> {
  for (const image of images) yield { entry: image.entry, key: contentKey(image.imageKey) };
  yield* pages;
}
