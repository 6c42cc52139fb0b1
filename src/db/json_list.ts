/**
 * Reading the JSON-list columns (manifest tags, user tags, a scene's asset and speaker tags).
 *
 * @module
 */

/**
 * The strings a JSON-list column holds; empty for NULL, an empty string or text that is not
 * a JSON list, so one bad row never breaks a whole listing.
 */
export function parseJsonList(json: string | null): string[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
  } catch {
    return [];
  }
}
