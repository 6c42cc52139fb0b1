/**
 * Reading the JSON-list columns (manifest tags, user tags, a scene's asset and speaker tags).
 *
 * @module
 */

/** The list a JSON-list column holds; empty for NULL or an empty string. */
export function parseJsonList(json: string | null): string[] {
  return json ? JSON.parse(json) : [];
}
