/**
 * Acceptance of starting the service the way its user does: `deno task start` serves from any
 * DATA_DIR while it may write only there (and to models/), and a network HOST without
 * AUTH_TOKEN refuses to start.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { httpClient } from "./_harness.ts";
import { freePort, runUntilExit } from "./_instances.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Variables that would change the outcome if the test runner happened to have them set. */
const NEUTRAL_ENV = {
  AUTH_TOKEN: "",
  ALLOW_UNAUTHENTICATED_NETWORK: "",
  ALLOWED_HOSTS: "",
  ALLOWED_ORIGINS: "",
  WORKERS: "1",
};

Deno.test("HOST=0.0.0.0 without AUTH_TOKEN exits with 2, naming AUTH_TOKEN", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-startup-" });
  try {
    for (const host of ["0.0.0.0", "::"]) {
      const { code, stderr: message } = await runUntilExit({
        ...NEUTRAL_ENV,
        HOST: host,
        DATA_DIR: dataDir,
      });
      assert.equal(code, 2, message);
      assert.match(message, /^Cannot start: .*AUTH_TOKEN/m);
      assert.match(message, /ALLOW_UNAUTHENTICATED_NETWORK=1/);
      assert.deepEqual([...Deno.readDirSync(dataDir)], [], "nothing was opened or written");
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a DATA_DIR the process may not write to is refused at start, saying how", async () => {
  const allowed = await Deno.makeTempDir({ prefix: "manifest-studio-allowed-" });
  const other = await Deno.makeTempDir({ prefix: "manifest-studio-other-" });
  try {
    const { code, stderr: message } = await runUntilExit(
      { ...NEUTRAL_ENV, DATA_DIR: other },
      [allowed],
    );
    assert.equal(code, 2, message);
    assert.match(message, /^Cannot start: DATA_DIR .* is not writable/m);
    assert.match(message, /deno task start/);
    assert.deepEqual([...Deno.readDirSync(other)], []);
  } finally {
    await Deno.remove(allowed, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("the start and dev tasks grant write access to DATA_DIR and models only", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  for (const name of ["start", "dev"]) {
    const serve = String(tasks[name]).split("&&").at(-1)!;
    assert.doesNotMatch(serve, /(^|\s)(-A|--allow-all)(\s|$)/, name);
    const writes = [...serve.matchAll(/--allow-write(=\S+)?/g)].map((m) => m[0]);
    assert.deepEqual(
      writes,
      ["--allow-write=./models,$(deno"],
      `${name}: write access comes from scripts/data_dir.ts: ${serve}`,
    );
  }
});

Deno.test("DATA_DIR=<any folder> deno task start serves and writes there", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-task-" });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: { ...NEUTRAL_ENV, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const url = `http://127.0.0.1:${port}`;
    const client = httpClient(url);
    for (let i = 0;; i++) {
      const up = await fetch(`${url}/healthz`).then((r) => r.body?.cancel().then(() => r.ok))
        .catch(() => false);
      if (up) break;
      if (i > 1200) throw new Error("`deno task start` did not serve within 120 s.");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const created = await client.json("POST", "/api/manifests", { name: "Elsewhere" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const listed = await client.json("GET", "/api/manifests");
    assert.deepEqual(listed.body.items.map((m: { name: string }) => m.name), ["Elsewhere"]);
    const files = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
    assert.ok(files.includes("manifest-studio.db"), `files in DATA_DIR: ${files}`);
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    const log = await stderr;
    await Deno.remove(dataDir, { recursive: true });
    assert.equal(status.code, 0, log);
  }
});
