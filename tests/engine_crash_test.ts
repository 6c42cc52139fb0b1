/**
 * Acceptance: the service is killed (SIGKILL) during detection; at the next start the job
 * resumes and the manifest ends READY with the same assets as an uninterrupted run.
 */
import assert from "node:assert/strict";
import { startTestServer } from "./_harness.ts";
import { spawnInstance } from "./_instances.ts";
import {
  type AnyFrame,
  DEMO_FILES,
  duplicateCrops,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
} from "./_pipeline.ts";

Deno.test("a job killed during detection resumes at the next start and ends READY", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-crash-" });
  try {
    const doomed = await spawnInstance("doomed", { DATA_DIR: dataDir, LOG_LEVEL: "error" });
    let manifestId: string;
    try {
      ({ manifestId } = await manifestWithPhotos(doomed.server, DEMO_FILES, "Crash"));
      const started = await doomed.server.json("POST", `/api/manifests/${manifestId}/process`);
      assert.equal(started.status, 202);
      await waitForProgress(
        doomed.server,
        manifestId,
        (p) => p.current_step === "yolo_detection" && p.progress.uploads_processed >= 2,
      );
    } finally {
      await doomed.kill("SIGKILL");
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
