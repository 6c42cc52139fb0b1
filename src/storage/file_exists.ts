/**
 * Whether a file is there, without treating "not found" as an error.
 *
 * @module
 */

/** True when `path` exists; other failures (e.g. permissions) still throw. */
export async function fileExists(path: string | URL): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
