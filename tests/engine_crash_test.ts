/**
 * Acceptance: the service is killed (SIGKILL) during detection; at the next start the job
 * resumes and the manifest ends READY with the same assets as an uninterrupted run.
 */
import assert from "node:assert/strict";
import { httpClient, startTestServer, type TestServer } from "./_harness.ts";
import {
  type AnyFrame,
  DEMO_FILES,
  duplicateCrops,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
} from "./_pipeline.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The service as a separate process, so it can really be killed. */
async function spawnService(dataDir: string) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN],
    env: { PORT: String(port), DATA_DIR: dataDir, WORKERS: "1", LOG_LEVEL: "error" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0;; i++) {
    const ready = await fetch(`${url}/readyz`).then((r) => r.body?.cancel().then(() => r.ok))
      .catch(() => false);
    if (ready) break;
    if (i > 600) throw new Error("The service did not start within 60 s.");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Only what the helpers use: fetch and json against the child's URL.
  const server = { url, ...httpClient(url) } as TestServer;
  return { child, server };
}

Deno.test("a job killed during detection resumes at the next start and ends READY", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-crash-" });
  try {
    const { child, server: doomed } = await spawnService(dataDir);
    let manifestId: string;
    try {
      ({ manifestId } = await manifestWithPhotos(doomed, DEMO_FILES, "Crash"));
      const started = await doomed.json("POST", `/api/manifests/${manifestId}/process`);
      assert.equal(started.status, 202);
      await waitForProgress(
        doomed,
        manifestId,
        (p) => p.current_step === "yolo_detection" && p.progress.uploads_processed >= 2,
      );
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel();
    }

    const server = await startTestServer({ WORKERS: "2" }, { dataDir, keepData: true });
    try {
      const resumed = await waitForProgress(server, manifestId);
      assert.equal(resumed.status, "complete");
      const job = await server.json("GET", `/api/jobs/${resumed.job_id}`);
      assert.equal(job.body.attempts, 2, "the same job ran a second time");
      const crashed = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
      assert.equal(crashed.status, "READY");
      assert.deepEqual(duplicateCrops(crashed.assets), []);

      // The same photos processed without interruption, for comparison.
      const { manifestId: cleanId } = await manifestWithPhotos(server, DEMO_FILES, "Clean");
      assert.equal((await processAndWait(server, cleanId)).status, "complete");
      const clean = (await server.json("GET", `/api/manifests/${cleanId}`)).body;
      assert.equal(crashed.asset_count, clean.asset_count);
      const kinds = (m: AnyFrame) =>
        m.assets.map((a: AnyFrame) => `${a.extraction_role}:${a.detection_class}`).sort();
      assert.deepEqual(kinds(crashed), kinds(clean));
      assert.ok(crashed.assets.every((a: AnyFrame) => a.prompted_at));
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
