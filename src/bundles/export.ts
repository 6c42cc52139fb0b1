/**
 * Exporting a manifest as a bundle, streamed.
 *
 * The rows are read once, up front (that is when an unknown or PROCESSING manifest is
 * refused); the ZIP is then written as the reader consumes it. Images are read from the blob
 * store one at a time and stored without deflate (they are compressed already), and every
 * write waits for the consumer, so memory stays flat whatever the manifest's size: about one
 * image, plus the rows.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { AssetRow, IdentityRow, ManifestRow } from "../db/tables.ts";
import { now } from "../db/timestamp.ts";
import { log } from "../log.ts";
import { assetsInDisplayOrder } from "../registry/assets.ts";
import { assertNotProcessing, getManifest } from "../registry/manifests.ts";
import { type BlobStore, contentKey } from "../storage/blob_store.ts";
import { buildRegistry, renderRegistryBlock } from "../storyboard/registry.ts";
import { type BundleContents, bundleContents } from "./document.ts";
import { contactSheetEntry, MANIFEST_ENTRY, README_ENTRY, REGISTRY_ENTRY } from "./format.ts";
import { bundleFileName, bundleReadme } from "./readme.ts";
import { TextReader, Uint8ArrayReader, ZipWriter } from "./zip_library.ts";

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
  const assets = await assetsInDisplayOrder(deps.db, manifestId);
  const identities = await deps.db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", manifestId).orderBy("created_at").orderBy("id").execute();
  const counters = await deps.db.selectFrom("tag_counters").select(["prefix", "last_number"])
    .where("manifest_id", "=", manifestId).orderBy("prefix").execute();
  // Pages are a list so that a manifest with several sheets adds entries, not a format.
  const pages: SheetPage[] = manifest.contact_sheet_key &&
      await deps.blobs.has(manifest.contact_sheet_key)
    ? [{ entry: contactSheetEntry(1), key: manifest.contact_sheet_key }]
    : [];
  const contents = bundleContents({
    manifest,
    assets,
    identities,
    counters,
    contactSheetPages: pages.map((page) => page.entry),
    exportedAt: now(),
  });
  const registry = registryText(manifest, assets, identities);
  return {
    filename: bundleFileName(manifest.name),
    manifestName: manifest.name,
    stream: () => zipStream(deps.blobs, contents, registry, pages, manifestId),
  };
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
  assets: readonly AssetRow[],
  identities: readonly IdentityRow[],
): string {
  return renderRegistryBlock(buildRegistry(manifest, assets, identities));
}

function zipStream(
  blobs: BlobStore,
  contents: BundleContents,
  registry: string,
  pages: readonly SheetPage[],
  manifestId: string,
): ReadableStream<Uint8Array> {
  let fail: (reason: unknown) => void = () => {};
  // The default queues (one chunk on the writing side, none on the reading side) make every
  // write wait for the reader: that wait is the backpressure.
  const relay = new TransformStream<Uint8Array, Uint8Array>({
    start: (controller) => {
      fail = (reason) => controller.error(reason);
    },
  });
  const write = async () => {
    const zip = new ZipWriter(relay.writable, { level: 0 });
    // Level 6 is deflated by the runtime's CompressionStream; the library does 9 in JavaScript.
    const text = { level: 6 } as const;
    await zip.add(README_ENTRY, new TextReader(bundleReadme(contents.document)), text);
    await zip.add(MANIFEST_ENTRY, new TextReader(JSON.stringify(contents.document, null, 2)), text);
    await zip.add(REGISTRY_ENTRY, new TextReader(registry), text);
    for (const image of contents.images) {
      await zip.add(
        image.entry,
        new Uint8ArrayReader(await readBlob(blobs, contentKey(image.imageKey))),
      );
    }
    for (const page of pages) {
      await zip.add(page.entry, new Uint8ArrayReader(await readBlob(blobs, page.key)));
    }
    await zip.close();
  };
  // A reader that goes away (a closed connection) also ends here, through a failed write.
  write().catch((error) => {
    log.info("Export ended before the archive was complete.", { manifestId, error });
    fail(error);
  });
  return relay.readable;
}

async function readBlob(blobs: BlobStore, key: string): Promise<Uint8Array> {
  const bytes = await blobs.get(key);
  // Deleted since the rows were read: the archive would be incomplete, so it is not finished.
  if (!bytes) throw new Error(`Blob ${key} disappeared during the export; export again.`);
  return bytes;
}
