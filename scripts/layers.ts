/**
 * The layer check of `deno task ok`: reads every import of `main.ts` and `src/` (type-only
 * imports and worker script URLs included) and fails on an upward import, an import between
 * two units of one layer, or a cycle between files.
 *
 * The architecture is the list {@linkcode LAYERS}, top first: a file may import files of its
 * own unit (a folder of `src/` or a file at its root) and of units in lower layers.
 *
 *     deno task layers            # prints the violations, exits 1 when there are some
 *     deno run --allow-read scripts/layers.ts <root>    # checks another checkout
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/**
 * The layers of the service, top first. Units in one layer are independent of each other:
 * the domain folders share the registry below them but never import each other.
 */
export const LAYERS: readonly (readonly string[])[] = Object.freeze([
  ["main.ts"],
  ["src/server.ts"],
  ["src/app.ts"],
  ["src/api"],
  // Bundles export and import whole manifests: the registry block of the storyboard domain
  // and the contact sheet of the pipeline go into one archive, so they sit above both.
  ["src/bundles"],
  ["src/pipeline", "src/storyboard"],
  ["src/registry"],
  ["src/jobs"],
  ["src/events"],
  ["src/llm"],
  ["src/engine"],
  ["src/vision"],
  ["src/imaging"],
  ["src/workers"],
  ["src/db", "src/storage", "src/config.ts"],
  ["src/errors.ts", "src/json_chunks.ts", "src/log.ts", "src/text.ts", "src/zod_issues.ts"],
]);

/** One import from a file of the project to another. */
export interface ImportEdge {
  /** Importing file, relative to the root, with `/` separators. */
  readonly from: string;
  /** Imported file, same form. */
  readonly to: string;
}

/** A broken rule, worded for the person who has to mend it. */
export interface LayerViolation {
  readonly kind: "upward" | "sibling" | "unknown_unit" | "cycle";
  readonly message: string;
}

const IMPORT_PATTERNS = [
  // import/export … from "x" (also `import type`), across lines.
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*["']([^"']+)["']/g,
  // import "x" (side effects) and import("x").
  /\bimport\s*\(?\s*["']([^"']+)["']/g,
  // new URL("./worker.ts", import.meta.url): a worker script is a dependency too.
  /new\s+URL\(\s*["']([^"']+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g,
];

/** The local specifiers a module's source imports, in order of appearance. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: { at: number; spec: string }[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      found.push({ at: match.index, spec: match[1] });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((item) => item.spec)
    .filter((spec) => spec.startsWith("./") || spec.startsWith("../"));
}

/** The unit a file belongs to: its folder under `src/`, or itself at the root of `src/`. */
export function unitOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] !== "src" || parts.length === 2) return file;
  return `${parts[0]}/${parts[1]}`;
}

/** Every rule the import edges break. Test files are left out by the caller. */
export function checkLayers(
  edges: readonly ImportEdge[],
  layers: readonly (readonly string[])[] = LAYERS,
): LayerViolation[] {
  const rank = new Map<string, number>();
  layers.forEach((units, index) => units.forEach((unit) => rank.set(unit, index)));
  const violations: LayerViolation[] = [];
  const unknown = new Set<string>();
  for (const { from, to } of edges) {
    const [a, b] = [unitOf(from), unitOf(to)];
    for (const unit of [a, b]) {
      if (!rank.has(unit) && !unknown.has(unit)) {
        unknown.add(unit);
        violations.push({
          kind: "unknown_unit",
          message: `${unit} is in no layer: add it to LAYERS in scripts/layers.ts.`,
        });
      }
    }
    if (a === b || !rank.has(a) || !rank.has(b)) continue;
    if (rank.get(a)! > rank.get(b)!) {
      violations.push({
        kind: "upward",
        message: `${from} imports ${to}: ${a} sits below ${b}, so it may not depend on it. ` +
          "Move what both need down, or pass it in from above.",
      });
    } else if (rank.get(a) === rank.get(b)) {
      violations.push({
        kind: "sibling",
        message: `${from} imports ${to}: ${a} and ${b} are one layer and stay independent. ` +
          "Move what both need to a lower layer.",
      });
    }
  }
  for (const cycle of fileCycles(edges)) {
    violations.push({
      kind: "cycle",
      message: `Import cycle: ${[...cycle, cycle[0]].join(" → ")}. Move what both need into a ` +
        "module of its own.",
    });
  }
  return violations;
}

/** The strongly connected groups of more than one file (or a file importing itself). */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from)!.push(to);
  }
  // Tarjan's algorithm, iterative so that deep chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of [...next.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; child: number }[] = [{ node: root, child: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const children = next.get(frame.node)!;
      if (frame.child < children.length) {
        const child = children[frame.child++];
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const group: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          group.push(member);
        } while (member !== frame.node);
        const selfLoop = group.length === 1 && children.includes(frame.node);
        if (group.length > 1 || selfLoop) cycles.push(group.sort());
      }
    }
  }
  return cycles;
}

/** The import edges of `main.ts` and every non-test module under `src/` of `root`. */
export async function readImportGraph(root: string): Promise<ImportEdge[]> {
  const files = ["main.ts", ...await modulesUnder(root, "src")];
  const edges: ImportEdge[] = [];
  for (const file of files) {
    let source: string;
    try {
      source = await Deno.readTextFile(join(root, file));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const spec of importSpecifiers(source)) {
      const to = normalize(join(dirname(file), spec)).split("\\").join("/");
      edges.push({ from: file, to });
    }
  }
  return edges;
}

async function modulesUnder(root: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await modulesUnder(root, path));
    else if (/\.(ts|js)$/.test(entry.name) && !isTestModule(entry.name)) found.push(path);
  }
  return found.sort();
}

function isTestModule(name: string): boolean {
  return /_test\.ts$/.test(name) || name.startsWith("_test");
}

if (import.meta.main) {
  const root = Deno.args[0] ??
    (relative(Deno.cwd(), join(dirname(new URL(import.meta.url).pathname), "..")) || ".");
  const edges = await readImportGraph(root);
  const violations = checkLayers(edges);
  for (const violation of violations) console.error(`${violation.kind}: ${violation.message}`);
  if (violations.length > 0) {
    console.error(`Layer check: ${violations.length} violation(s).`);
    Deno.exit(1);
  }
  console.log(`Layer check: ${edges.length} imports, no upward import, no cycle.`);
}
