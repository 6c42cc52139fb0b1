/**
 * Small text helpers shared by the names and prompts the service writes.
 *
 * @module
 */

/** `text` with its first letter in upper case ("person" → "Person"). */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
