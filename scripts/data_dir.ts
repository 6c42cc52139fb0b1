/**
 * Prints the folder the service will write to: `DATA_DIR`, or `./data` when it is unset.
 *
 * The `start` and `dev` tasks put its output into `--allow-write`, so any `DATA_DIR` works
 * without editing deno.json while the service still may write nowhere else. Task strings
 * cannot say `${DATA_DIR:-./data}` (deno task's shell has no default expansion), but they
 * can run a command: `"--allow-write=./models,$(deno run --allow-env=DATA_DIR scripts/data_dir.ts)"`.
 *
 * @module
 */

/** The default `DATA_DIR`, as in src/config.ts. */
export const DEFAULT_DATA_DIR = "./data";

/**
 * The folder to allow, or an error message when Deno's permission flags cannot name it.
 *
 * @param value `DATA_DIR` as set in the environment.
 */
export function dataDirToAllow(value: string | undefined): { dir: string } | { error: string } {
  const dir = value || DEFAULT_DATA_DIR;
  if (dir.includes(",")) {
    return {
      error: `DATA_DIR ${dir} contains a comma, and Deno's --allow-write separates folders ` +
        "with commas: choose a folder whose path has none.",
    };
  }
  return { dir };
}

if (import.meta.main) {
  const result = dataDirToAllow(Deno.env.get("DATA_DIR"));
  if ("error" in result) {
    console.error(`Cannot start: ${result.error}`);
    Deno.exit(2);
  }
  console.log(result.dir);
}
