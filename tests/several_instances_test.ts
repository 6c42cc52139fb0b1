/**
 * Acceptance: several service processes on one PostgreSQL database and one S3 bucket (docs:
 * README "Several instances"). Real processes (`deno run main.ts`) sharing a `DATABASE_URL`
 * and a bucket of a real Ceph radosgw (tests/_radosgw.ts), each with a `DATA_DIR` of its own:
 *
 * 1. three manifests processed at once: every job runs exactly once, all READY, with the
 *    assets a SQLite run of the same photos makes;
 * 2. an image uploaded through one instance is served, with its thumbnails, by the other;
 *    the bucket holds the blobs and neither `DATA_DIR` holds a file;
 * 3. a WebSocket client on one instance receives every frame of a job running on the
 *    other, in order; a client that drops mid-job and resumes on the other instance with
 *    `since` receives every missed frame exactly once;
 * 4. a cancel sent to one instance stops the job running on the other within 2 s, and the
 *    manifest returns to its previous status;
 * 5. the instance running a job is killed (SIGKILL) mid-detection: the other finishes it
 *    once the lease (3 s here) expires — READY, no duplicate crops;
 * 6. an unreachable database: the service refuses to start, naming DATABASE_URL.
 */
import assert from "node:assert/strict";
import { connectDatabase, type OpenedDatabase } from "../src/db/dialect.ts";
import { contentKey } from "../src/storage/blob_store.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { startTestServer, walk } from "./_harness.ts";
import { freePort, type Instance, runUntilExit, spawnInstance } from "./_instances.ts";
import {
  type AnyFrame,
  DEMO_FILES,
  duplicateCrops,
  manifestWithPhotos,
  processAndWait,
  waitForProgress,
} from "./_pipeline.ts";
import { freshPostgresUrl } from "./_postgres.ts";
import { listKeys, radosgw, s3Env, uniqueBucket } from "./_radosgw.ts";

/** Enough uploads for a job to be caught mid-detection. */
const FOUR = DEMO_FILES.slice(0, 4);
/** Short, so that a killed instance's job is taken over quickly. */
const LEASE_SECONDS = 3;

/** The instance whose runner holds the job's lease, once one does. */
async function runnerOf(
  db: OpenedDatabase["db"],
  jobId: string,
  instances: readonly Instance[],
): Promise<Instance> {
  for (let i = 0; i < 600; i++) {
    const row = await db.selectFrom("jobs").select("lease_owner").where("id", "=", jobId)
      .executeTakeFirst();
    const owner = instances.find((instance) => instance.id === row?.lease_owner);
    if (owner) return owner;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`No instance claimed job ${jobId}.`);
}

/** A WebSocket that records frames and can wait for one. */
class Socket {
  readonly frames: AnyFrame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(baseUrl: string) {
    this.ws = new WebSocket(`${baseUrl.replace("http", "ws")}/ws`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", () => resolve()));
    this.ws.onmessage = (event) => this.frames.push(JSON.parse(event.data));
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  async until(test: (frames: AnyFrame[]) => boolean, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test(this.frames)) {
      if (Date.now() > deadline) {
        throw new Error(`WebSocket wait timed out: ${JSON.stringify(this.frames.slice(-5))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

const isDone = (frames: AnyFrame[]) => frames.some((frame) => frame.type === "done");
const snapshotOf = (socket: Socket) => socket.frames.find((frame) => frame.type === "snapshot")!;

/** The stored frames of `topic` with seq > `after`, as the wire carries them. */
async function storedFrames(db: OpenedDatabase["db"], topic: string, after: number) {
  const rows = await db.selectFrom("events").select(["seq", "type"])
    .where("topic", "=", topic as never).where("seq", ">", after).orderBy("seq").execute();
  return rows.map((row) => `${row.seq}:${row.type}`);
}

const wire = (frames: AnyFrame[]) =>
  frames.filter((frame) => frame.type !== "snapshot" && frame.type !== "pong")
    .map((frame) => `${frame.seq}:${frame.type}`);

Deno.test("several instances on one PostgreSQL database", async (t) => {
  const [url, gw] = await Promise.all([freshPostgresUrl(), radosgw()]);
  if (gw.startSeconds > 0) console.log(`radosgw started in ${gw.startSeconds} s`);
  const bucket = uniqueBucket("instances");
  const env = {
    DATABASE_URL: url,
    ...s3Env(gw, bucket),
    JOB_LEASE_SECONDS: String(LEASE_SECONDS),
  };
  // Each its own DATA_DIR: whatever they share goes through the database or the bucket.
  const dataDirs = await Promise.all(
    ["a", "b"].map((name) => Deno.makeTempDir({ prefix: `manifest-studio-instance-${name}-` })),
  );
  const instances: Instance[] = [];
  for (const [i, name] of ["A", "B"].entries()) {
    const instance = await spawnInstance(name, { ...env, DATA_DIR: dataDirs[i] });
    instances.push(instance);
    assert.equal(instance.ready.database_kind, "postgres");
    assert.deepEqual(instance.ready.blob_store, { kind: "s3", status: "ok" });
  }
  const [a, b] = instances;
  const database = await connectDatabase({ url, sqlitePath: "" });
  const db = database.db;
  try {
    await t.step(
      "three manifests at once: each job runs once, all READY, as on SQLite",
      async () => {
        const subsets = [DEMO_FILES.slice(0, 2), DEMO_FILES.slice(2, 4), DEMO_FILES.slice(4, 6)];
        const manifests = await Promise.all(
          subsets.map((files, i) =>
            manifestWithPhotos(i % 2 ? b.server : a.server, files, `M${i}`)
          ),
        );
        // Started through both instances; each claims what it has room for.
        const started = await Promise.all(
          manifests.map(({ manifestId }, i) =>
            instances[i % 2].server.json("POST", `/api/manifests/${manifestId}/process`)
          ),
        );
        assert.ok(
          started.every((reply) => reply.status === 202),
          JSON.stringify(started),
        );
        const ends = await Promise.all(
          manifests.map(({ manifestId }) => waitForProgress(a.server, manifestId)),
        );
        assert.deepEqual(ends.map((end) => end.status), ["complete", "complete", "complete"]);
        const jobs = await db.selectFrom("jobs").selectAll().execute();
        assert.equal(jobs.length, 3);
        assert.ok(jobs.every((job) => job.status === "succeeded" && job.attempts === 1));
        const counts: number[] = [];
        for (const { manifestId } of manifests) {
          const manifest = (await b.server.json("GET", `/api/manifests/${manifestId}`)).body;
          assert.equal(manifest.status, "READY");
          assert.deepEqual(duplicateCrops(manifest.assets), []);
          counts.push(manifest.asset_count);
        }

        // The same photos on the default SQLite service.
        const alone = await startTestServer({ DATABASE_URL: "" });
        try {
          const expected: number[] = [];
          for (const [i, files] of subsets.entries()) {
            const { manifestId } = await manifestWithPhotos(alone, files, `S${i}`);
            assert.equal((await processAndWait(alone, manifestId)).status, "complete");
            expected.push(
              (await alone.json("GET", `/api/manifests/${manifestId}`)).body.asset_count,
            );
          }
          assert.deepEqual(counts, expected);
        } finally {
          await alone.close();
        }
      },
    );

    await t.step(
      "an image uploaded through one instance is served by the other, from the bucket",
      async () => {
        const file = DEMO_FILES[0];
        const { uploadIds: [id] } = await manifestWithPhotos(a.server, [file], "Shared blobs");
        const original = await fixturePhoto(file);
        const image = await b.server.fetch(`/api/assets/${id}/image`);
        assert.equal(image.status, 200);
        assert.deepEqual(new Uint8Array(await image.arrayBuffer()), original);
        for (const size of [256, 128]) {
          const thumbs: Uint8Array[] = [];
          for (const instance of [a, b]) {
            const thumb = await instance.server.fetch(`/api/assets/${id}/thumbnail?size=${size}`);
            assert.equal(thumb.status, 200);
            assert.equal(thumb.headers.get("content-type"), "image/jpeg");
            thumbs.push(new Uint8Array(await thumb.arrayBuffer()));
          }
          assert.ok(thumbs[0].length > 1000);
          assert.deepEqual(thumbs[1], thumbs[0], `the ${size} px thumbnail, byte for byte`);
        }
        const keys = await listKeys(gw, bucket);
        assert.ok(
          keys.includes(contentKey(await sha256Hex(original))),
          "the image is in the bucket",
        );
        assert.ok(keys.some((key) => key.startsWith("thumbs/")), "its thumbnails are too");
      },
    );

    await t.step(
      "a client on one instance gets every frame of a job on the other, in order; since resumes exactly",
      async () => {
        const { manifestId } = await manifestWithPhotos(a.server, FOUR, "Live");
        const topic = `manifest:${manifestId}`;
        const started = await a.server.json("POST", `/api/manifests/${manifestId}/process`);
        assert.equal(started.status, 202);
        const runner = await runnerOf(db, started.body.job_id, instances);
        const other = instances.find((instance) => instance !== runner)!;
        // Both follow the job from the instance that does not run it.
        const watcher = new Socket(other.server.url);
        const dropper = new Socket(other.server.url);
        await Promise.all([watcher.opened, dropper.opened]);
        watcher.send({ type: "subscribe", topics: [topic] });
        dropper.send({ type: "subscribe", topics: [topic] });

        // The dropper leaves after its first asset frame and resumes on the runner with since.
        await dropper.until((frames) => frames.some((frame) => frame.type === "asset"));
        await dropper.close();
        const since = dropper.frames.at(-1)!.seq;
        await new Promise((resolve) => setTimeout(resolve, 500));
        const back = new Socket(runner.server.url);
        await back.opened;
        back.send({ type: "subscribe", topics: [topic], since });
        await watcher.until(isDone);
        await back.until(isDone);
        await back.close();
        await watcher.close();

        const watched = await storedFrames(db, topic, snapshotOf(watcher).seq);
        assert.ok(watched.length > 10, `a real job's frames (${watched.length})`);
        assert.deepEqual(wire(watcher.frames), watched, "every frame, in order, across instances");
        const resumed = [...wire(dropper.frames), ...wire(back.frames)];
        assert.deepEqual(
          resumed,
          await storedFrames(db, topic, snapshotOf(dropper).seq),
          "before and after the drop: every frame exactly once",
        );
        assert.ok(wire(back.frames).length > 0, "frames were missed and replayed");
        console.log(
          `job on ${runner.name}: ${watched.length} frames followed on ${other.name}; ` +
            `${wire(back.frames).length} resumed on ${runner.name} after a drop`,
        );
      },
    );

    await t.step(
      "a cancel sent to one instance stops the job on the other within 2 s",
      async () => {
        const { manifestId } = await manifestWithPhotos(b.server, FOUR, "Cancel me");
        const started = await b.server.json("POST", `/api/manifests/${manifestId}/process`);
        assert.equal(started.status, 202);
        const jobId = started.body.job_id;
        const runner = await runnerOf(db, jobId, instances);
        const other = instances.find((instance) => instance !== runner)!;
        await waitForProgress(other.server, manifestId, (p) => p.current_step === "yolo_detection");
        const sent = performance.now();
        const cancelled = await other.server.json("POST", `/api/jobs/${jobId}/cancel`);
        assert.equal(cancelled.status, 200);
        // The runner lets go of its lease once the run has stopped.
        let stoppedAfter = Infinity;
        while (performance.now() - sent < 5_000) {
          const row = await db.selectFrom("jobs").select(["lease_owner", "status"])
            .where("id", "=", jobId).executeTakeFirstOrThrow();
          if (row.lease_owner === null) {
            stoppedAfter = performance.now() - sent;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        console.log(
          `cancel on ${other.name} → job stopped on ${runner.name} after ` +
            `${stoppedAfter.toFixed(0)} ms`,
        );
        assert.ok(stoppedAfter < 2_000, `stopped after ${stoppedAfter} ms`);
        const manifest = (await a.server.json("GET", `/api/manifests/${manifestId}`)).body;
        assert.equal(manifest.status, "DRAFT", "back to its status before processing");
        const frames = await db.selectFrom("events").select(["type", "payload"])
          .where("job_id", "=", jobId).orderBy("seq").execute();
        assert.equal(frames.at(-1)?.type, "done", "nothing follows the cancel's done");
        assert.equal(JSON.parse(frames.at(-1)!.payload).status, "cancelled");
      },
    );

    await t.step(
      "the instance running a job is killed mid-detection: the other finishes it",
      async () => {
        const { manifestId } = await manifestWithPhotos(a.server, FOUR, "Crash");
        const started = await a.server.json("POST", `/api/manifests/${manifestId}/process`);
        assert.equal(started.status, 202);
        const jobId = started.body.job_id;
        const doomed = await runnerOf(db, jobId, instances);
        const survivor = instances.find((instance) => instance !== doomed)!;
        await waitForProgress(
          survivor.server,
          manifestId,
          (p) => p.current_step === "yolo_detection" && p.progress.uploads_processed >= 2,
        );
        const killedAt = performance.now();
        await doomed.kill("SIGKILL");
        const takenOver = await runnerOf(db, jobId, [survivor]);
        const tookOverAfter = (performance.now() - killedAt) / 1000;
        assert.equal(takenOver, survivor);
        const end = await waitForProgress(survivor.server, manifestId);
        console.log(
          `killed ${doomed.name}; ${survivor.name} took the job over ${tookOverAfter.toFixed(1)} ` +
            `s later (lease ${LEASE_SECONDS} s) and finished it ` +
            `${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
        );
        assert.equal(end.status, "complete");
        const job = (await survivor.server.json("GET", `/api/jobs/${jobId}`)).body;
        assert.equal(job.attempts, 2, "taken over once");
        const manifest = (await survivor.server.json("GET", `/api/manifests/${manifestId}`)).body;
        assert.equal(manifest.status, "READY");
        assert.deepEqual(duplicateCrops(manifest.assets), []);
        assert.ok(manifest.assets.every((asset: AnyFrame) => asset.prompted_at));
      },
    );

    await t.step("the bucket holds every image; neither DATA_DIR holds a file", async () => {
      const keys = new Set(await listKeys(gw, bucket));
      const rows = await db.selectFrom("assets").select("image_key").distinct()
        .where("image_key", "is not", null).execute();
      assert.ok(rows.length > DEMO_FILES.length, "uploads and the crops of the jobs above");
      for (const { image_key } of rows) {
        assert.ok(keys.has(contentKey(image_key!)), `${image_key} is in the bucket`);
      }
      for (const dir of dataDirs) {
        const files: string[] = [];
        await walk(dir, files);
        assert.deepEqual(files, [], `under ${dir}`);
      }
    });
  } finally {
    await database.close();
    for (const instance of instances) await instance.kill();
    for (const dir of dataDirs) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreachable database: the service refuses to start and names DATABASE_URL", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "manifest-studio-nodb-" });
  try {
    const output = await runUntilExit({
      DATA_DIR: dataDir,
      // Nothing listens there.
      DATABASE_URL: `postgres://studio:secret-pw@127.0.0.1:${freePort()}/studio`,
    });
    const stderr = output.stderr;
    assert.notEqual(output.code, 0);
    assert.equal(output.code, 2);
    assert.match(stderr, /^Cannot start: DATABASE_URL/m);
    assert.doesNotMatch(stderr, /secret-pw/, "the password is never printed");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
