import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkLayers,
  fileCycles,
  type ImportEdge,
  importSpecifiers,
  LAYERS,
  readImportGraph,
} from "./layers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("layers: the service's own import graph breaks no rule", async () => {
  const edges = await readImportGraph(ROOT);
  assert.ok(edges.length > 200, `only ${edges.length} imports were read`);
  assert.deepEqual(checkLayers(edges).map((v) => v.message), []);
});

Deno.test("layers: type-only, multi-line, re-export, dynamic and worker imports are all read", () => {
  const source = `
import type { A } from "../db/tables.ts";
import {
  b,
  c,
} from "./b.ts";
export { d } from "../events/d.ts";
// import { e } from "../api/e.ts";
/* import { f } from "../api/f.ts"; */
const g = await import("../jobs/g.ts");
const worker = new URL("../engine/worker.ts", import.meta.url);
import { z } from "zod";
`;
  assert.deepEqual(importSpecifiers(source), [
    "../db/tables.ts",
    "./b.ts",
    "../events/d.ts",
    "../jobs/g.ts",
    "../engine/worker.ts",
  ]);
});

Deno.test("layers: an upward import fails the check and says which rule it broke", () => {
  const edges: ImportEdge[] = [{ from: "src/registry/assets.ts", to: "src/api/schemas.ts" }];
  const [violation] = checkLayers(edges);
  assert.equal(violation.kind, "upward");
  assert.match(violation.message, /src\/registry\/assets\.ts imports src\/api\/schemas\.ts/);
});

Deno.test("layers: two domain folders importing each other fail, even type-only", () => {
  const source = `import type { ProgressReporter } from "../pipeline/progress.ts";`;
  const edges = importSpecifiers(source).map((spec) => ({
    from: "src/storyboard/generate.ts",
    to: join("src/storyboard", spec),
  }));
  assert.deepEqual(checkLayers(edges).map((v) => v.kind), ["sibling"]);
});

Deno.test("layers: a cycle between two files of one folder fails", () => {
  const edges: ImportEdge[] = [
    { from: "src/registry/assets.ts", to: "src/registry/identities.ts" },
    { from: "src/registry/identities.ts", to: "src/registry/assets.ts" },
    { from: "src/registry/identities.ts", to: "src/db/tables.ts" },
  ];
  assert.deepEqual(fileCycles(edges), [["src/registry/assets.ts", "src/registry/identities.ts"]]);
  const [violation] = checkLayers(edges);
  assert.equal(violation.kind, "cycle");
  assert.match(violation.message, /assets\.ts → src\/registry\/identities\.ts → /);
});

Deno.test("layers: a new folder must be placed in a layer before it can be imported", () => {
  const edges: ImportEdge[] = [{ from: "src/api/routes/x.ts", to: "src/unplaced/zip.ts" }];
  assert.deepEqual(checkLayers(edges).map((v) => v.kind), ["unknown_unit"]);
});

Deno.test("layers: a checkout with an upward import added fails the command", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "src/db"), { recursive: true });
    await Deno.mkdir(join(dir, "src/api"), { recursive: true });
    await Deno.writeTextFile(join(dir, "main.ts"), `import "./src/api/app.ts";\n`);
    await Deno.writeTextFile(join(dir, "src/api/app.ts"), `import "../db/tables.ts";\n`);
    await Deno.writeTextFile(
      join(dir, "src/db/tables.ts"),
      `export type { Route } from "../api/app.ts";\n`,
    );
    const violations = checkLayers(await readImportGraph(dir), LAYERS);
    assert.deepEqual(violations.map((v) => v.kind).sort(), ["cycle", "upward"]);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", new URL("./layers.ts", import.meta.url).pathname, dir],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(run.code, 1);
    assert.match(new TextDecoder().decode(run.stderr), /upward: src\/db\/tables\.ts imports/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
