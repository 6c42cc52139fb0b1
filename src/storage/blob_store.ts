/**
 * Blob storage behind one small interface, so an S3-compatible store can be added later
 * without touching callers. Keys are slash-separated lowercase names chosen by the service
 * (content hashes, derived names) — never a user's filename.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic_write.ts";

/** Where the service keeps bytes: images, thumbnails, contact sheets. */
export interface BlobStore {
  /** Stores `bytes` under `key`, atomically (a reader never sees half a file). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or `null` when there are none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Whether `key` holds bytes. */
  has(key: string): Promise<boolean>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

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
}
