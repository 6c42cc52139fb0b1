/**
 * Reading a committed JSON file (a catalog) with errors that say what to do.
 *
 * @module
 */

/**
 * The parsed JSON of `path`. `what` names the file in errors, e.g. "model catalog": a
 * missing file is to be restored from git, a broken one is named with the parser's reason.
 */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`The ${what} ${path} does not exist. Restore it from git.`);
    }
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`The ${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
