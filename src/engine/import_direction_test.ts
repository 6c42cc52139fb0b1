/**
 * The worker layer's folders import one way: llm → engine → vision → imaging → workers, and
 * none of them imports a folder above the layer. Type-only imports count too: a cycle of
 * types still ties the folders together.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../", import.meta.url));

/** The layer's folders, lowest first: each may import only its own folder and lower ones. */
const ORDER = ["workers", "imaging", "vision", "engine", "llm"] as const;

/** Folders above the layer (domain, API and the jobs and events they share). */
const ABOVE = ["api", "registry", "pipeline", "storyboard", "jobs", "events"];

/** The one upward import left: the asset vocabulary, which belongs below the layer. */
const KNOWN_UPWARD = new Set(["registry/vocabulary.ts"]);

/** Static imports and re-exports (`import type` included), side-effect and dynamic imports. */
const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

/** Every non-test module of a folder of src/, recursively. */
async function modulesOf(folder: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await visit(path);
      else if (path.endsWith(".ts") && !path.endsWith("_test.ts")) found.push(path);
    }
  };
  await visit(join(SRC, folder));
  return found;
}

/** The src/ modules a file imports, as absolute paths. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file);
  const targets = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (match[1].startsWith(".")) targets.add(resolve(dirname(file), match[1]));
    }
  }
  return [...targets].filter((target) => !relative(SRC, target).startsWith(".."));
}

/** The top folder of src/ a module is in, or "" for a file directly in src/. */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  return parts.length > 1 ? parts[0] : "";
}

Deno.test("the worker layer imports one way: llm → engine → vision → imaging → workers", async () => {
  const wrong: string[] = [];
  for (const [rank, folder] of ORDER.entries()) {
    for (const file of await modulesOf(folder)) {
      for (const target of await importsOf(file)) {
        const to = folderOf(target);
        const toRank = ORDER.indexOf(to as typeof ORDER[number]);
        const upward = toRank > rank ||
          (ABOVE.includes(to) && !KNOWN_UPWARD.has(relative(SRC, target)));
        if (upward) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("the worker layer's files have no import cycle", async () => {
  const graph = new Map<string, string[]>();
  for (const folder of ORDER) {
    for (const file of await modulesOf(folder)) graph.set(file, await importsOf(file));
  }
  const done = new Set<string>();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    if (done.has(file)) return;
    const at = path.indexOf(file);
    if (at >= 0) {
      cycles.push([...path.slice(at), file].map((f) => relative(SRC, f)).join(" → "));
      return;
    }
    path.push(file);
    for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  assert.deepEqual(cycles, []);
});
