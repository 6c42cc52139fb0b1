/**
 * The font catalog, `models/fonts.json`: the TTF files the contact sheet draws text with
 * (magick-wasm has no built-in font), each from a pinned npm package version with its SHA-256.
 *
 * `deno task models` reads it to put the files into `models/fonts/`; the server reads it through
 * {@linkcode fontPaths} to tell the pool workers where the files are. Fonts are kept out of
 * models.json on purpose: they are not models, and the model catalog's rules (roles, adapters,
 * tensor contracts) do not apply to them.
 *
 * @module
 */

import { catalogPath, describeIssues } from "../zod_issues.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEFAULT_MODELS_DIR } from "../config.ts";
import { fileExists } from "../storage/file_exists.ts";
import { readJsonFile } from "../storage/read_json_file.ts";
import { rejectRepeatedFields } from "../storage/unique_fields.ts";

/** Lowercase hex SHA-256. */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");

const FontEntrySchema = z.strictObject({
  /** The name the font is registered under in ImageMagick, e.g. `DejaVuSans`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be letters, digits, _ or -"),
  /** npm package the file comes from. */
  package: z.string().regex(
    /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/,
    "must be an npm package name",
  ),
  /** Exact package version (the tarball is cached per version). */
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/, "must be an exact version"),
  /** The file inside the package: relative, forward slashes, no `.` or `..` segments. */
  file: z.string().regex(
    /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^/\\\0][^\\\0]*$/,
    'must be a path relative to the package root, without "package/", "." or ".."',
  ),
  /** File name written under `models/fonts/`. */
  output: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*\.ttf$/,
    "must be a plain file name ending in .ttf",
  ),
  /** Size of the file in bytes. */
  bytes: z.int().positive(),
  /** SHA-256 of the file. */
  sha256: Sha256,
  /** The licence, as the package's own files state it. */
  licence: z.string().trim().min(1),
});

const FontCatalogSchema = z.strictObject({
  comment: z.string().optional(),
  fonts: z.array(FontEntrySchema).min(1),
}).superRefine((catalog, ctx) => {
  rejectRepeatedFields(catalog.fonts, "fonts", ["name", "output"], ctx);
});

/** One entry of fonts.json, as validated. */
export type FontEntry = z.infer<typeof FontEntrySchema>;

/** Font name (as registered in ImageMagick) → absolute path of its TTF file. */
export type FontFiles = Readonly<Record<string, string>>;

/** The committed font catalog. */
export const DEFAULT_FONT_CATALOG_PATH = fileURLToPath(
  new URL("../../models/fonts.json", import.meta.url),
);

/** Where font files are written and loaded from, given the models folder. */
export function fontsDir(modelsDir: string = DEFAULT_MODELS_DIR): string {
  return join(modelsDir, "fonts");
}

/**
 * Reads and validates a font catalog, returning its entries frozen in file order. Fails with
 * one message listing every problem, each naming the entry and the field.
 */
export async function loadFontCatalog(
  path: string = DEFAULT_FONT_CATALOG_PATH,
): Promise<readonly FontEntry[]> {
  return parseFontCatalog(await readJsonFile(path, "font catalog"), path);
}

/** Validates already-parsed font catalog JSON; `source` names it in error messages. */
export function parseFontCatalog(json: unknown, source = "fonts.json"): readonly FontEntry[] {
  const result = FontCatalogSchema.safeParse(json);
  if (!result.success) {
    const problems = describeIssues(result.error.issues, catalogPath(json, "fonts"));
    throw new Error(`The font catalog ${source} is not valid:\n  ${problems.join("\n  ")}`);
  }
  return Object.freeze(result.data.fonts.map((entry) => Object.freeze(entry)));
}

/** Absolute path of a font's file under `fontsDir(modelsDir)`. */
export function fontPath(entry: Pick<FontEntry, "output">, modelsDir?: string): string {
  return join(fontsDir(modelsDir), entry.output);
}

/**
 * Where each catalog font is on disk, for the pool's `init.fonts`. Every file must be present:
 * the contact sheet cannot draw a label without them.
 *
 * @throws {Error} naming the missing files and the command that obtains them.
 */
export async function fontPaths(
  modelsDir?: string,
  catalogPath: string = DEFAULT_FONT_CATALOG_PATH,
): Promise<FontFiles> {
  const catalog = await loadFontCatalog(catalogPath);
  const files: Record<string, string> = {};
  const missing: string[] = [];
  for (const entry of catalog) {
    const path = fontPath(entry, modelsDir);
    if (await fileExists(path)) files[entry.name] = path;
    else missing.push(path);
  }
  if (missing.length > 0) {
    throw new Error(
      `The contact sheet's font file${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
        `${missing.length > 1 ? "are" : "is"} missing: run \`deno task models\` to obtain ` +
        `${missing.length > 1 ? "them" : "it"} from npm.`,
    );
  }
  return Object.freeze(files);
}

/** Reads the TTF files named by {@linkcode fontPaths}, keyed by font name (in a worker). */
export async function readFontFiles(
  files: FontFiles,
): Promise<Readonly<Record<string, Uint8Array>>> {
  const entries = await Promise.all(
    Object.entries(files).map(async ([name, path]) => {
      try {
        return [name, await Deno.readFile(path)] as const;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new Error(
            `The font file ${path} is missing: run \`deno task models\` to obtain it from npm.`,
          );
        }
        throw error;
      }
    }),
  );
  return Object.freeze(Object.fromEntries(entries));
}
