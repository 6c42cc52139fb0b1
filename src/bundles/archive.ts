/**
 * Reading an uploaded bundle: its table of contents is checked before anything is inflated
 * (`entry_rules.ts`), then single entries are inflated on demand while their real size is
 * counted, so neither a lying header nor a bomb gets far.
 *
 * @module
 */
import { AppError } from "../errors.ts";
import { checkEntries, checkRatio, type EntryHeader, tooLarge } from "./entry_rules.ts";
import type { BundleLimits } from "./limits.ts";
import { type FileEntry, Uint8ArrayReader, ZipReader } from "./zip_library.ts";

/** `PK\3\4` (a first entry) or `PK\5\6` (the end record of an empty archive). */
function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** A ZIP archive whose table of contents passed the checks. */
export class BundleArchive {
  readonly #reader: ZipReader<unknown>;
  readonly #files: ReadonlyMap<string, FileEntry>;
  readonly #limits: BundleLimits;
  /** Bytes inflated so far, across entries. */
  #inflated = 0;

  private constructor(
    reader: ZipReader<unknown>,
    files: ReadonlyMap<string, FileEntry>,
    limits: BundleLimits,
  ) {
    this.#reader = reader;
    this.#files = files;
    this.#limits = limits;
  }

  /**
   * Opens `bytes` as a ZIP: 415 when it is not one, 400 when it is damaged or names an unsafe
   * entry, 413 when it declares too much.
   */
  static async open(bytes: Uint8Array, limits: BundleLimits): Promise<BundleArchive> {
    if (!looksLikeZip(bytes.subarray(0, 4))) {
      throw new AppError(
        "unsupported_media_type",
        "The file is not a ZIP archive: import a bundle made by GET /api/manifests/{id}/export.",
        { code: "not_a_zip" },
      );
    }
    const reader = new ZipReader(new Uint8ArrayReader(bytes), {
      // Refuses archives whose local headers and central directory disagree, or whose
      // entries overlap: both are ways to make one archive mean two things.
      strictness: "strict",
      checkOverlappingEntry: true,
      // Names are judged by entry_rules.ts, whose refusal names the entry and the reason.
      filenameValidation: "tolerant",
    });
    let entries;
    try {
      entries = await reader.getEntries();
    } catch (error) {
      await reader.close().catch(() => {});
      throw corrupt(null, error);
    }
    const headers: EntryHeader[] = entries.map((entry) => ({
      name: entry.filename,
      directory: entry.directory,
      encrypted: entry.encrypted,
      compressedSize: entry.compressedSize,
      uncompressedSize: entry.uncompressedSize,
    }));
    try {
      checkEntries(headers, limits);
    } catch (error) {
      await reader.close().catch(() => {});
      throw error;
    }
    const files = new Map<string, FileEntry>();
    for (const entry of entries) if (!entry.directory) files.set(entry.filename, entry);
    return new BundleArchive(reader, files, limits);
  }

  /** Names of the file entries (directories left out). */
  names(): ReadonlySet<string> {
    return new Set(this.#files.keys());
  }

  /**
   * Inflates one entry, counting what really comes out: more than its header declared, more
   * than `maxBytes`, a ratio only a bomb has, or more than the archive's total stops it.
   */
  async read(name: string, maxBytes = Infinity): Promise<Uint8Array> {
    const entry = this.#files.get(name);
    if (!entry) throw new Error(`Entry ${name} is not in the archive; callers check names().`);
    const limits = this.#limits;
    // The declared size passed the limits in open(); more than it is refused below.
    const bytes = new Uint8Array(entry.uncompressedSize);
    let size = 0;
    let refusal: unknown = null;
    const sink = new WritableStream<Uint8Array>({
      write: (chunk) => {
        size += chunk.length;
        this.#inflated += chunk.length;
        try {
          if (size > entry.uncompressedSize) {
            throw corrupt(name, new Error("it holds more data than its header declares"));
          }
          if (size > maxBytes) throw entryTooLarge(name, maxBytes);
          if (this.#inflated > limits.maxTotalBytes) throw tooLarge(this.#inflated, limits);
          checkRatio(name, size, entry.compressedSize, limits);
        } catch (error) {
          refusal = error;
          throw error;
        }
        bytes.set(chunk, size - chunk.length);
      },
    });
    try {
      await entry.getData(sink, { checkCrc32: true });
    } catch (error) {
      // The library may wrap what the sink threw; the sink's own refusal is the answer.
      throw refusal ?? corrupt(name, error);
    }
    if (size !== entry.uncompressedSize) {
      throw corrupt(name, new Error("it holds less data than its header declares"));
    }
    return bytes;
  }

  /** Releases the reader. */
  async close(): Promise<void> {
    await this.#reader.close();
  }
}

/** The 413 for an entry over the most the service reads of it. */
function entryTooLarge(name: string, maxBytes: number): AppError {
  return new AppError(
    "payload_too_large",
    `The bundle's entry ${name} unpacks to more than ${maxBytes} bytes, the most this server ` +
      "reads of it: export the manifest again, or split it.",
    { code: "entry_too_large", details: { entry: name, max_bytes: maxBytes } },
  );
}

/** The 400 for an archive (or one entry of it) that cannot be read. */
function corrupt(entry: string | null, cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const where = entry ? `its entry ${entry} cannot be read` : "it cannot be read";
  return new AppError(
    "bad_request",
    `The bundle is a damaged ZIP archive: ${where} (${reason}). Export it again and retry.`,
    { code: "corrupt_bundle", details: { ...(entry && { entry }), reason } },
  );
}
