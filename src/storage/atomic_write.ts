/**
 * Writing a file so that no reader ever sees half of it.
 *
 * @module
 */

/**
 * Writes `bytes` beside `path` and renames the result into place. Rename is atomic on one
 * filesystem, so an interrupted or concurrent writer never leaves a truncated file that a
 * later reader could trust.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${crypto.randomUUID()}.part`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
