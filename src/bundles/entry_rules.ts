/**
 * Rules on a ZIP's table of contents, checked before a byte is inflated: entry names that
 * could escape a folder if someone unpacked the bundle, and sizes a ZIP bomb would declare.
 * Pure; the archive reader applies the same size rules again to the bytes it really inflates,
 * because a header can lie.
 *
 * @module
 */
import { AppError } from "../errors.ts";
import { type BundleLimits, UNPACKED_FACTOR } from "./limits.ts";

/** What the central directory says about one entry. */
export interface EntryHeader {
  readonly name: string;
  readonly directory: boolean;
  readonly encrypted: boolean;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** Why `name` is not a safe entry name, or null when it is. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return "it is empty";
  if (name.length > 255) return "it is longer than 255 characters";
  if (name.includes("\\")) return "it contains a backslash";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "it contains control characters";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "it is an absolute path";
  const segments = name.replace(/\/$/, "").split("/");
  if (segments.includes("..")) return "it climbs out of its folder with ..";
  if (segments.some((segment) => segment === "" || segment === ".")) {
    return "it has an empty or . path segment";
  }
  return null;
}

/** Throws the 400 or 413 a bad table of contents deserves; returns when all is well. */
export function checkEntries(entries: readonly EntryHeader[], limits: BundleLimits): void {
  if (entries.length > limits.maxEntries) {
    throw new AppError(
      "payload_too_large",
      `The bundle holds ${entries.length} entries, more than the ${limits.maxEntries} allowed: ` +
        "export the manifest again, or split it.",
      { code: "too_many_entries", details: { entries: entries.length, max: limits.maxEntries } },
    );
  }
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const reason = unsafeNameReason(entry.name);
    if (reason) {
      throw new AppError(
        "bad_request",
        `The bundle's entry ${JSON.stringify(entry.name.slice(0, 300))} is refused: ${reason}. ` +
          "A bundle only holds plain relative names such as images/CHAR_01.jpg.",
        { code: "unsafe_entry_name", details: { entry: entry.name.slice(0, 300) } },
      );
    }
    if (seen.has(entry.name)) {
      throw new AppError(
        "bad_request",
        `The bundle holds two entries named ${entry.name}: which one is meant is ambiguous.`,
        { code: "duplicate_entry", details: { entry: entry.name } },
      );
    }
    seen.add(entry.name);
    if (entry.encrypted) {
      throw new AppError(
        "bad_request",
        `The bundle's entry ${entry.name} is encrypted: export the bundle again without a password.`,
        { code: "encrypted_entry", details: { entry: entry.name } },
      );
    }
    checkRatio(entry.name, entry.uncompressedSize, entry.compressedSize, limits);
    total += entry.uncompressedSize;
    if (total > limits.maxTotalBytes) throw tooLarge(total, limits);
  }
}

/** Throws when an entry unpacks to far more than it packs: the sign of a ZIP bomb. */
export function checkRatio(
  name: string,
  unpacked: number,
  packed: number,
  limits: BundleLimits,
): void {
  if (unpacked <= limits.ratioFloorBytes) return;
  if (unpacked <= limits.maxRatio * Math.max(packed, 1)) return;
  throw new AppError(
    "payload_too_large",
    `The bundle's entry ${name} unpacks to over ${limits.maxRatio} times its packed size ` +
      `(${packed} → ${unpacked}+ bytes), which only a ZIP bomb does: it was not unpacked.`,
    {
      code: "suspicious_compression",
      details: { entry: name, packed_bytes: packed, max_ratio: limits.maxRatio },
    },
  );
}

/** The 413 for a bundle that unpacks to more than the limit. */
export function tooLarge(bytes: number, limits: BundleLimits): AppError {
  const mb = (n: number) => `${Math.round(n / 1024 / 1024 * 10) / 10} MB`;
  return new AppError(
    "payload_too_large",
    `The bundle unpacks to more than ${mb(limits.maxTotalBytes)} (at least ${mb(bytes)}), the ` +
      `limit of this server (${UNPACKED_FACTOR} × MAX_UPLOAD_MB): export fewer assets, or raise ` +
      "MAX_UPLOAD_MB.",
    { code: "bundle_too_large", details: { max_bytes: limits.maxTotalBytes } },
  );
}
