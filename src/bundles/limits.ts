/**
 * How much a bundle may unpack to. An import holds the bundle's images in memory until they
 * are all checked (nothing is written before), so these bound its memory as well as the
 * work a hostile archive can cause.
 *
 * @module
 */

/** Limits an import enforces on a ZIP archive. */
export interface BundleLimits {
  /** Entries in the archive, directories included. */
  readonly maxEntries: number;
  /** All entries unpacked together: declared sizes before, actual bytes while inflating. */
  readonly maxTotalBytes: number;
  /** Unpacked ÷ packed size of one entry, checked once the entry is past `ratioFloorBytes`. */
  readonly maxRatio: number;
  /** Entries smaller than this unpacked are too small to matter, whatever their ratio. */
  readonly ratioFloorBytes: number;
  /** `manifest.json` unpacked. */
  readonly maxManifestBytes: number;
}

/** How many times the upload limit all entries may unpack to. */
export const UNPACKED_FACTOR = 4;

/** The limits for a server whose upload limit is `maxUploadBytes` (MAX_UPLOAD_MB). */
export function bundleLimits(maxUploadBytes: number): BundleLimits {
  const maxTotalBytes = UNPACKED_FACTOR * maxUploadBytes;
  return Object.freeze({
    maxEntries: 20_000,
    maxTotalBytes,
    maxRatio: 200,
    ratioFloorBytes: 1024 * 1024,
    maxManifestBytes: Math.min(maxTotalBytes, 64 * 1024 * 1024),
  });
}
