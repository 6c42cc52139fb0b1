/**
 * The service's job kinds through its real registry: each kind's job, once cancelled over
 * the API, puts its subject back and says `done` on its own topic; the jobs API reports the
 * manifest each is about; a topic's WebSocket snapshot is its progress endpoint's body.
 *
 * The runner is stopped first, so the queued jobs stay queued until cancelled.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ManifestStatus, ProjectStatus, Topic } from "../src/db/vocabulary.ts";
import { enqueueJob } from "../src/jobs/job_store.ts";
import { processManifestJob, reprocessAssetJob } from "../src/pipeline/process_manifest.ts";
import { storyboardJob } from "../src/storyboard/generate.ts";
import { startTestServer, type TestServer } from "./_harness.ts";

/** A server whose runner takes no job, with a manifest, one of its assets and a project. */
async function withSubjects(
  use: (
    server: TestServer,
    ids: { manifestId: string; assetId: string; projectId: string },
  ) => Promise<void>,
): Promise<void> {
  const server = await startTestServer();
  try {
    await server.services.runner.stop();
    const manifest = await server.json("POST", "/api/manifests", { name: "Kinds" });
    assert.equal(manifest.status, 201);
    const asset = await server.json("POST", `/api/manifests/${manifest.body.id}/assets`, {
      name: "Lamp",
    });
    assert.equal(asset.status, 201, JSON.stringify(asset.body));
    const project = await server.json("POST", "/api/projects", {
      title: "Kinds",
      prompt: "A lamp on a table, seen from three sides.",
      manifest_id: manifest.body.id,
    });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    await use(server, {
      manifestId: manifest.body.id,
      assetId: asset.body.id,
      projectId: project.body.id,
    });
  } finally {
    await server.close();
  }
}

/** Sets the manifest's status to PROCESSING, as a start would. */
async function markProcessing(server: TestServer, id: string) {
  await server.services.db.updateTable("manifests").set({ status: "PROCESSING" })
    .where("id", "=", id).execute();
}

/** Sets the project's status to GENERATING, as a start would. */
async function markGenerating(server: TestServer, id: string) {
  await server.services.db.updateTable("projects").set({ status: "GENERATING" })
    .where("id", "=", id).execute();
}

/** The `done` frames stored for `topic`. */
async function doneFrames(server: TestServer, topic: Topic) {
  const rows = await server.services.db.selectFrom("events").selectAll()
    .where("topic", "=", topic).where("type", "=", "done").execute();
  return rows.map((row) => ({ job_id: row.job_id, ...JSON.parse(row.payload) }));
}

Deno.test("cancelling a process_manifest job puts the manifest back and says done", async () => {
  await withSubjects(async (server, { manifestId }) => {
    const previous: ManifestStatus = "READY";
    await markProcessing(server, manifestId);
    const job = await enqueueJob(server.services.db, processManifestJob, {
      targetId: manifestId,
      params: { manifest_id: manifestId, previous_status: previous },
    });
    assert.equal(job.serial_key, manifestId);

    const listed = await server.json("GET", `/api/jobs/${job.id}`);
    assert.equal(listed.body.manifest_id, manifestId);
    assert.equal(listed.body.status, "queued");

    const cancelled = await server.json("POST", `/api/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, "cancelled");
    assert.equal(cancelled.body.manifest_id, manifestId);
    const manifest = await server.json("GET", `/api/manifests/${manifestId}`);
    assert.equal(manifest.body.status, previous);
    assert.deepEqual(
      (await doneFrames(server, `manifest:${manifestId}`)).map((frame) => [
        frame.job_id,
        frame.status,
      ]),
      [[job.id, "cancelled"]],
    );
  });
});

Deno.test("cancelling a reprocess_asset job: it is about its manifest, which goes back", async () => {
  await withSubjects(async (server, { manifestId, assetId }) => {
    await markProcessing(server, manifestId);
    const job = await enqueueJob(server.services.db, reprocessAssetJob, {
      targetId: assetId,
      params: { manifest_id: manifestId, previous_status: "DRAFT" },
    });
    assert.equal(job.serial_key, manifestId, "serialised with its manifest's other jobs");

    const busy = await server.json("PUT", `/api/manifests/${manifestId}`, { name: "Renamed" });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.details.job_id, job.id, "the busy manifest names the job");

    const cancelled = await server.json("POST", `/api/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.target_id, assetId);
    assert.equal(cancelled.body.manifest_id, manifestId);
    const manifest = await server.json("GET", `/api/manifests/${manifestId}`);
    assert.equal(manifest.body.status, "DRAFT");
    const done = await doneFrames(server, `manifest:${manifestId}`);
    assert.deepEqual(done.map((frame) => [frame.job_id, frame.status]), [[job.id, "cancelled"]]);
  });
});

Deno.test("cancelling a storyboard job puts the project back and says done", async () => {
  await withSubjects(async (server, { projectId }) => {
    const previous: ProjectStatus = "DRAFT";
    await markGenerating(server, projectId);
    const job = await enqueueJob(server.services.db, storyboardJob, {
      targetId: projectId,
      params: { project_id: projectId, previous_status: previous },
    });
    assert.equal(job.serial_key, projectId);

    const cancelled = await server.json("POST", `/api/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.manifest_id, null, "a storyboard job is about a project");
    const project = await server.json("GET", `/api/projects/${projectId}`);
    assert.equal(project.body.status, previous);
    const done = await doneFrames(server, `project:${projectId}`);
    assert.deepEqual(done.map((frame) => [frame.job_id, frame.status]), [[job.id, "cancelled"]]);
    assert.deepEqual(
      done[0].totals,
      (await server.json("GET", `/api/projects/${projectId}/progress`)).body.progress,
    );

    const again = await server.json("POST", `/api/jobs/${job.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "job_not_active");
  });
});

Deno.test("a topic's WebSocket snapshot is its progress endpoint's body", async () => {
  await withSubjects(async (server, { manifestId, projectId }) => {
    const jobs = server.services.jobs;
    for (
      const [topic, path] of [
        [`manifest:${manifestId}`, `/api/manifests/${manifestId}/progress`],
        [`project:${projectId}`, `/api/projects/${projectId}/progress`],
      ] as const
    ) {
      const polled = await server.json("GET", path);
      assert.equal(polled.status, 200);
      assert.equal(polled.body.status, "not_started");
      assert.deepEqual(await jobs.snapshot(topic), polled.body, topic);
    }
    assert.equal(await jobs.snapshot(`manifest:${crypto.randomUUID()}`), null);
    assert.equal(await jobs.snapshot(`project:${manifestId}`), null, "not a project");
  });
});
