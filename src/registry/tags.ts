/**
 * Stable asset tags (`CHAR_01`, `OBJ_02` …): pure rules, no I/O.
 *
 * A tag is `PREFIX_NN`, the prefix chosen by asset type and the number one more than the
 * highest ever used for that prefix in the manifest. Numbers are never reused, so a tag a
 * storyboard once referenced can never come to mean another asset.
 *
 * @module
 */
import type { AssetType } from "../db/vocabulary.ts";

/** The tag prefix of each asset type. */
export const TAG_PREFIX: Readonly<Record<AssetType, string>> = Object.freeze({
  CHARACTER: "CHAR",
  OBJECT: "OBJ",
  ENVIRONMENT: "ENV",
  PROP: "PROP",
  STYLE: "STYLE",
  VEHICLE: "VEH",
  OTHER: "OTHER",
});

const TAG_PATTERN = /^([A-Z]+)_(\d{2,})$/;

/** The prefix for assets of `type`. */
export function tagPrefix(type: AssetType): string {
  return TAG_PREFIX[type];
}

/** `formatTag("CHAR", 3)` → `"CHAR_03"`; numbers past 99 simply grow (`CHAR_100`). */
export function formatTag(prefix: string, number: number): string {
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`A tag number must be a positive integer, got ${number}.`);
  }
  return `${prefix}_${String(number).padStart(2, "0")}`;
}

/** Splits a tag into prefix and number, or returns `null` when it is not a tag. */
export function parseTag(tag: string): { prefix: string; number: number } | null {
  const match = TAG_PATTERN.exec(tag);
  return match ? { prefix: match[1], number: Number(match[2]) } : null;
}

/**
 * The next number for a prefix: one past both the recorded counter and any tag still in
 * use (so a counter lost or behind can never hand out a tag twice).
 */
export function nextTagNumber(
  lastRecorded: number | undefined,
  tagsInUse: Iterable<string>,
  prefix: string,
): number {
  let highest = lastRecorded ?? 0;
  for (const tag of tagsInUse) {
    const parsed = parseTag(tag);
    if (parsed && parsed.prefix === prefix && parsed.number > highest) highest = parsed.number;
  }
  return highest + 1;
}
