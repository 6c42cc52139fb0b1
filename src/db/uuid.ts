/**
 * The shape of the ids the service hands out (UUID strings), checked before a lookup so a
 * malformed id is a plain "does not exist".
 *
 * @module
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` has the shape of the ids the service hands out. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
