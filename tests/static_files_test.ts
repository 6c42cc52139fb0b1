/**
 * The dashboard's static files: index.html preloads every module of static/js, so the browser
 * fetches them all at once instead of discovering them one level of imports at a time (each
 * level a round trip before the first asset can be drawn).
 */
import assert from "node:assert/strict";

Deno.test("index.html preloads every dashboard module", async () => {
  const html = await Deno.readTextFile(new URL("../static/index.html", import.meta.url));
  const preloaded = new Set(
    [...html.matchAll(/<link rel="modulepreload" href="\/js\/([\w.-]+\.js)">/g)].map((m) => m[1]),
  );
  const modules: string[] = [];
  for await (const entry of Deno.readDir(new URL("../static/js/", import.meta.url))) {
    if (entry.isFile && entry.name.endsWith(".js") && entry.name !== "app.js") {
      modules.push(entry.name);
    }
  }
  const missing = modules.filter((name) => !preloaded.has(name)).sort();
  assert.deepEqual(
    missing,
    [],
    `Add <link rel="modulepreload" href="/js/<name>"> to static/index.html for: ${missing}`,
  );
  const stale = [...preloaded].filter((name) => !modules.includes(name)).sort();
  assert.deepEqual(stale, [], `static/index.html preloads modules that do not exist: ${stale}`);
});
