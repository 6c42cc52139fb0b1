/**
 * The one digest of the project: content keys of blobs, duplicate uploads, and the hashes
 * that pin downloaded models and fixtures.
 *
 * @module
 */

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
