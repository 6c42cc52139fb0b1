/**
 * The one timestamp format of the database: ISO-8601 UTC strings with `Z`.
 *
 * @module
 */

/** The current time as the ISO-8601 UTC string stored in every timestamp column. */
export function now(): string {
  return new Date().toISOString();
}
