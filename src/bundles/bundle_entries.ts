/**
 * The entries of a bundle, made one at a time as the archive asks for the next: the ZIP
 * writer (`client-zip`) takes an async iterable of entries and reads each entry's content
 * to its end before it asks for the next, so at most one blob is open, and what is in
 * memory is the chunk being written — never a whole image, the whole `manifest.json`, nor a
 * list of the entries to come.
 *
 * @module
 */
import type { BlobStore } from "../storage/blob_store.ts";
import { type BundleDocument, MANIFEST_ENTRY, README_ENTRY, REGISTRY_ENTRY } from "./format.ts";
import { joinChunks, jsonChunks } from "../json_chunks.ts";

/**
 * An entry as `client-zip` takes it: a name, a time, and content it reads to the end. The
 * content is text or an iterator of this module's, which it can stop.
 */
export interface ZipInput {
  readonly name: string;
  readonly lastModified: Date;
  readonly input: string | AsyncGenerator<Uint8Array | string, void, undefined>;
  /** Bytes of `input` when known; the writer counts them anyway. */
  readonly size?: number;
}

/** An entry whose content is a blob of the store, read when the entry is written. */
export interface BlobEntry {
  readonly entry: string;
  readonly key: string;
}

/** What a bundle is written from. */
export interface BundleParts {
  readonly readme: string;
  readonly document: BundleDocument;
  readonly registry: string;
  /** Images, then contact sheet pages: any iterable, read as the archive goes. */
  readonly blobs: Iterable<BlobEntry>;
  /** Every entry's time: when the bundle was exported. */
  readonly at: Date;
}

/**
 * The entries of a bundle, for the writer to pull. A blob that is gone when its turn comes
 * ends the archive with an error (it would be incomplete). When the archive's reader goes
 * away, the writer throws the reason into this iterator: it then ends quietly (a cancel is no
 * failure of the stream) and stops the content being read, closing its blob. `onFailure`
 * hears, once, why the archive ended early, wherever that happened.
 */
export function bundleEntries(
  store: BlobStore,
  parts: BundleParts,
  onFailure: (error: unknown) => void,
): AsyncIterableIterator<ZipInput> {
  let failed = false;
  const fail = (error: unknown) => {
    if (!failed) onFailure(error);
    failed = true;
  };
  const entries = closingEntries(store, parts, fail);
  return {
    next: () => entries.next(),
    // Not the generator's own throw: one that has not started would reject with the reason.
    throw: (reason?: unknown) => {
      fail(reason);
      return entries.return(undefined);
    },
    return: () => entries.return(undefined),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The entries; ended early, it stops the content being read (and so closes its blob). */
async function* closingEntries(
  store: BlobStore,
  parts: BundleParts,
  fail: (error: unknown) => void,
): AsyncGenerator<ZipInput, void, undefined> {
  let reading: ZipInput["input"] = "";
  try {
    for await (const entry of entriesOf(store, parts, fail)) {
      reading = entry.input;
      yield entry;
    }
  } catch (error) {
    fail(error);
    throw error;
  } finally {
    // Read to its end, this does nothing; left half-read, it cancels a blob's stream.
    if (typeof reading !== "string") await reading.return(undefined);
  }
}

/** The entries, in order; `fail` hears of a blob that fails half-read. */
async function* entriesOf(
  store: BlobStore,
  parts: BundleParts,
  fail: (error: unknown) => void,
): AsyncGenerator<ZipInput, void, undefined> {
  const lastModified = parts.at;
  yield { name: README_ENTRY, lastModified, input: parts.readme };
  yield { name: MANIFEST_ENTRY, lastModified, input: documentText(parts.document) };
  yield { name: REGISTRY_ENTRY, lastModified, input: parts.registry };
  for (const { entry, key } of parts.blobs) {
    const blob = await store.stream(key);
    // Deleted since the rows were read: the archive would be incomplete, so it is not finished.
    if (!blob) throw new Error(`Blob ${key} disappeared during the export; export again.`);
    yield { name: entry, lastModified, input: chunksOf(blob.stream, fail), size: blob.size };
  }
}

/**
 * `manifest.json` as `JSON.stringify(document, null, 2)` writes it, in pieces of about
 * 64 KiB (`joinChunks`): the document of a big manifest is never one string.
 */
export function documentText(
  document: BundleDocument,
): AsyncGenerator<string, void, undefined> {
  return joinChunks(jsonChunks(document));
}

/**
 * The chunks of `stream` as an iterator this module owns: the writer locks whatever stream it
 * is given, so only through an iterator of its own can an export cancel a half-read blob.
 */
async function* chunksOf(
  stream: ReadableStream<Uint8Array>,
  fail: (error: unknown) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let done = false;
  try {
    while (true) {
      const chunk = await reader.read();
      if (chunk.done) break;
      yield chunk.value;
    }
    done = true;
  } catch (error) {
    // The writer ends the archive with this error without telling the entries' iterator.
    fail(error);
    throw error;
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
