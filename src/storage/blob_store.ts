/**
 * Blob storage behind one small interface: {@linkcode LocalBlobStore} under `DATA_DIR`, or
 * `S3BlobStore` (`./s3_blob_store.ts`) in an S3-compatible bucket. Keys are slash-separated
 * lowercase names chosen by the service (content hashes, derived names) — never a user's
 * filename.
 *
 * A key names one content for good: it is derived from the bytes it holds (a hash in the key),
 * so `put` never replaces what a key holds. Something whose bytes change (a new contact
 * sheet) gets a new key, the row that points at it is updated, and the old key is deleted.
 * That is what lets an S3 store write with `If-None-Match: *` and several instances write the
 * same key at once without harm (docs/data-model.md, blob store).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic_write.ts";

/** Where the service keeps bytes: images, thumbnails, contact sheets. */
export interface BlobStore {
  /** `local` (files under `DATA_DIR`) or `s3` (a bucket), as `/readyz` reports it. */
  readonly kind: "local" | "s3";
  /**
   * Stores `bytes` under `key`, atomically (a reader never sees half a file). When `key`
   * already holds bytes they are kept: keys are derived from their content, so they are the
   * same bytes (or, for a thumbnail, an equally good rendering of the same image).
   */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or `null` when there are none. */
  get(key: string): Promise<Uint8Array | null>;
  /**
   * The bytes under `key` as a stream and their size, or `null` when there are none: for a
   * reader of many blobs in a row (an export), which then holds a chunk at a time instead of
   * a whole blob, and makes less garbage than one buffer per blob. The stream must be read
   * to its end or cancelled.
   */
  stream(key: string): Promise<BlobStream | null>;
  /** Whether `key` holds bytes. */
  has(key: string): Promise<boolean>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Throws, saying why, when the store cannot be used right now (`/readyz`). */
  check(): Promise<void>;
}

/** A blob being read: see {@linkcode BlobStore.stream}. */
export interface BlobStream {
  /** Bytes the stream yields. */
  readonly size: number;
  readonly stream: ReadableStream<Uint8Array>;
}

/** Bytes a {@linkcode LocalBlobStore} stream reads at a time: Deno's own file chunk size. */
export const FILE_CHUNK_BYTES = 64 * 1024;

const KEY_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Throws when `key` could escape the store's root or is not one the service makes. */
export function assertBlobKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.includes("..")) {
    throw new Error(`Blob key ${JSON.stringify(key)} is not valid: use lowercase path segments.`);
  }
}

/** The key of content-addressed bytes: `blobs/ab/cdef…` by SHA-256 (docs/data-model.md, blob store). */
export function contentKey(sha256: string): string {
  return `blobs/${sha256.slice(0, 2)}/${sha256.slice(2)}`;
}

/** A {@linkcode BlobStore} on the local disk under `root`. */
export class LocalBlobStore implements BlobStore {
  readonly kind = "local";
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  #path(key: string): string {
    assertBlobKey(key);
    return join(this.root, key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    // Like the S3 store's conditional put: a key that is there keeps its bytes. Two writers
    // racing past this check write the same bytes, and the rename keeps either whole.
    if (await this.has(key)) return;
    await Deno.mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await Deno.readFile(this.#path(key));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  async stream(key: string): Promise<BlobStream | null> {
    const path = this.#path(key);
    let size: number;
    try {
      size = (await Deno.stat(path)).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    return { size, stream: fileStream(path, size) };
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await Deno.stat(this.#path(key))).isFile;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.#path(key));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  async check(): Promise<void> {
    // DATA_DIR exists from start on; someone removing or replacing it is what can go wrong.
    if (!(await Deno.stat(this.root)).isDirectory) {
      throw new Error(`DATA_DIR ${this.root} is no longer a directory.`);
    }
  }
}

/**
 * The file at `path` (`size` bytes when it was looked at), read a chunk at a time. The file
 * is opened on the first read, not before, so a stream made but never read holds no handle;
 * it is closed at the end, on an error and on cancel. Each chunk is a buffer of its own, no
 * bigger than what is left, because a reader may keep it (a response being sent does).
 */
function fileStream(path: string, size: number): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let offset = 0;
  const close = () => {
    file?.close();
    file = null;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        file ??= await Deno.open(path);
        // One byte more than the size said, at the end, to see the end (or a longer file).
        const chunk = new Uint8Array(Math.max(1, Math.min(FILE_CHUNK_BYTES, size - offset)));
        const read = await file.read(chunk);
        if (read === null) {
          close();
          controller.close();
          return;
        }
        offset += read;
        controller.enqueue(read === chunk.length ? chunk : chunk.subarray(0, read));
      } catch (error) {
        close();
        throw error;
      }
    },
    cancel: close,
  });
}
