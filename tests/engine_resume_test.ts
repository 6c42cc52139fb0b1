/**
 * Acceptance: a WebSocket client that drops mid-run and reconnects with `since` receives
 * every frame it missed exactly once; cancelling a running job returns the manifest to its
 * previous status and a later run finishes the work.
 */
import assert from "node:assert/strict";
import { startTestServer } from "./_harness.ts";
import {
  type AnyFrame,
  duplicateCrops,
  FrameRecorder,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
  wsUrl,
} from "./_pipeline.ts";

const persisted = (frames: AnyFrame[]) => frames.filter((f) => f.type !== "snapshot");

Deno.test("a client that reconnects with since gets exactly the frames it missed", async () => {
  const server = await startTestServer({ WORKERS: "2" });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample1.jpg", "sample3.jpg"]);
    const topic = `manifest:${manifestId}`;
    const steady = new FrameRecorder(wsUrl(server));
    const flaky = new FrameRecorder(wsUrl(server));
    await Promise.all([steady.opened, flaky.opened]);
    for (const client of [steady, flaky]) client.send({ type: "subscribe", topics: [topic] });
    await steady.waitFor((f) => f.some((x) => x.type === "snapshot"));
    await flaky.waitFor((f) => f.some((x) => x.type === "snapshot"));

    const started = await server.json("POST", `/api/manifests/${manifestId}/process`);
    assert.equal(started.status, 202);
    await flaky.waitFor((f) => f.some((x) => x.type === "asset"));
    await flaky.close();
    const seen = persisted(flaky.frames);
    const lastSeen = seen.at(-1)!.seq;
    // Let frames go by while it is away.
    await steady.waitFor((f) => persisted(f).filter((x) => x.seq > lastSeen).length >= 5);

    const back = new FrameRecorder(wsUrl(server));
    await back.opened;
    back.send({ type: "subscribe", topics: [topic], since: lastSeen });
    await Promise.all([
      steady.waitFor((f) => f.some((x) => x.type === "done")),
      back.waitFor((f) => f.some((x) => x.type === "done")),
    ]);
    const resumed = persisted(back.frames);
    assert.ok(resumed.length > 0 && resumed[0].seq > lastSeen);
    const combined = [...seen, ...resumed].map((f) => f.seq);
    assert.equal(new Set(combined).size, combined.length, "no duplicate seq");
    assert.deepEqual(combined, persisted(steady.frames).map((f) => f.seq), "no gap");
    assert.deepEqual([...seen, ...resumed], persisted(steady.frames));
    // The reconnecting client also gets a snapshot of the current state.
    assert.ok(back.frames.some((f) => f.type === "snapshot"));
    await Promise.all([steady.close(), back.close()]);
  } finally {
    await server.close();
  }
});

Deno.test("cancelling a running job restores the manifest and a later run finishes", async () => {
  const server = await startTestServer({ WORKERS: "1" });
  try {
    const files = ["sample1.jpg", "sample2.jpg", "sample4.jpg", "sample6.jpg"];
    const { manifestId } = await manifestWithPhotos(server, files);
    const client = new FrameRecorder(wsUrl(server));
    await client.opened;
    client.send({ type: "subscribe", topics: [`manifest:${manifestId}`] });
    const started = await server.json("POST", `/api/manifests/${manifestId}/process`);
    const jobId = started.body.job_id;
    await waitForProgress(
      server,
      manifestId,
      (p) => p.current_step === "yolo_detection" && p.progress.uploads_processed >= 1,
    );
    const cancelled = await server.json("POST", `/api/jobs/${jobId}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, "cancelled");
    const again = await server.json("POST", `/api/jobs/${jobId}/cancel`);
    assert.equal(again.status, 409);
    await client.waitFor((f) => f.some((x) => x.type === "done"));
    assert.equal(client.frames.find((f) => f.type === "done")!.status, "cancelled");

    const manifest = await server.json("GET", `/api/manifests/${manifestId}`);
    assert.equal(manifest.body.status, "DRAFT", "back to its previous status");
    const progress = await server.json("GET", `/api/manifests/${manifestId}/progress`);
    assert.equal(progress.body.status, "cancelled");
    const job = await server.json("GET", `/api/jobs/${jobId}`);
    assert.equal(job.body.status, "cancelled");
    const list = await server.json("GET", "/api/jobs?status=cancelled");
    assert.deepEqual(list.body.items.map((j: AnyFrame) => j.id), [jobId]);

    // The job stops at its next unit of work: the asset count settles (however loaded the
    // machine) well before detection could have finished.
    let settled = server.countRows("assets");
    for (let tries = 0; tries < 60; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = server.countRows("assets");
      if (now === settled) break;
      settled = now;
    }
    assert.ok(settled < 40, `cancelled before the end of detection (${settled} assets)`);

    const final = await processAndWait(server, manifestId);
    assert.equal(final.status, "complete");
    assert.equal(final.progress.uploads_processed, files.length);
    const done = await server.json("GET", `/api/manifests/${manifestId}`);
    assert.equal(done.body.status, "READY");
    assert.deepEqual(duplicateCrops(done.body.assets), []);
    assert.ok(done.body.assets.every((a: AnyFrame) => a.prompted_at));
    await client.waitFor((f) => f.filter((x) => x.type === "done").length === 2);
    const cancelledDone = client.frames.findIndex((f) => f.type === "done");
    const stragglers = client.frames.slice(cancelledDone + 1).filter((f) => f.job_id === jobId);
    assert.deepEqual(stragglers, [], "no frame of the cancelled job follows its done");
    await client.close();
  } finally {
    await server.close();
  }
});
