import assert from "node:assert/strict";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import type { Notifications } from "../db/dialect.ts";
import type { JobRow } from "../db/tables.ts";
import { notFound } from "../errors.ts";
import { EventHub } from "../events/event_hub.ts";
import type { Frame } from "../events/frames.ts";
import { bindJob } from "./bound_job.ts";
import { cancelJob } from "./cancel_job.ts";
import type { JobDefinition, JobServices } from "./job_definition.ts";
import { defineJobs, JobKinds } from "./job_kinds.ts";
import { JobRunner } from "./job_runner.ts";
import {
  claimNextJob,
  enqueueJob,
  finishJob,
  getJob,
  latestJobFor,
  MAX_ATTEMPTS,
  statusOf,
} from "./job_store.ts";
import { parseProgressOf } from "./progress.ts";
import { type Backend, BACKENDS, openTestDatabase } from "../../tests/_postgres.ts";

const Params = z.object({ subject_id: z.string(), note: z.string().catch("none") });
type Params = z.infer<typeof Params>;
type Counters = { made: number; seen: number };

/** What the fake kind's hooks were called with. */
interface Calls {
  failed: { id: string; message: string }[];
  exhausted: { id: string; message: string }[];
  /** The job, its parsed note, and its status as the cancel's transaction reads it. */
  cancelled: { id: string; note: string; status: string | undefined }[];
}

/** What the fake kind's run does: succeed with counters, fail, or wait to be cancelled. */
type Behaviour = "succeed" | "fail" | "wait";

interface FakeDeps extends JobServices {
  readonly behaviour: Behaviour;
}

type FakeDefinition = JobDefinition<"storyboard", Params, "one" | "two", Counters, FakeDeps>;

/** A kind standing for any: it reports on `project:{subject_id}` with two steps. */
function fakeKind(calls: Calls): FakeDefinition {
  return {
    kind: "storyboard",
    subject: "project",
    params: Params,
    serialKey: ({ params }) => params.subject_id,
    steps: ["one", "two"],
    emptyCounters: () => ({ made: 0, seen: 0 }),
    provider: () => "fake",
    manifestId: () => null,
    async run(job, control, progress, deps) {
      await progress.stepStarted("one");
      progress.update({ made: 2 });
      await progress.stepFinished("one");
      if (deps.behaviour === "fail") throw new Error("The fake job broke.");
      while (deps.behaviour === "wait") {
        await control.checkpoint();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await progress.stepStarted("two");
      progress.add("seen", 3);
      await progress.stepFinished("two");
      await finishJob(deps.db, job, "succeeded");
      return { error: null, totals: { extra: 1 } };
    },
    onFailed: (_db, job, message) => {
      calls.failed.push({ id: job.id, message });
      return Promise.resolve();
    },
    onExhausted: (_db, job, message) => {
      calls.exhausted.push({ id: job.id, message });
      return Promise.resolve();
    },
    async onCancelled(trx, job) {
      calls.cancelled.push({
        id: job.id,
        note: job.params.note,
        status: await statusOf(trx, job.id),
      });
    },
    snapshot: async (db, id) => {
      const job = await latestJobFor(db, id);
      if (!job) throw notFound("Subject", id);
      return { job_id: job.id, subject: id };
    },
  };
}

/** The fake kind's name and key, for queueing. */
const fakeKey = fakeKind({ failed: [], exhausted: [], cancelled: [] });

/** What a test gets: a database of its backend, a hub, the fake kind, what it did. */
interface JobsEnv {
  db: Db;
  hub: EventHub;
  jobs: JobKinds;
  calls: Calls;
  /** The notifications of a shared (PostgreSQL) database, for runners; null for SQLite. */
  shared: Notifications | null;
}

/** A migrated empty database of `backend`, a hub, and the fake kind bound to `behaviour`. */
async function withJobs(
  backend: Backend,
  behaviour: Behaviour,
  use: (env: JobsEnv) => Promise<void>,
): Promise<void> {
  const opened = await openTestDatabase(backend);
  const { db, notifications: shared } = opened;
  const hub = new EventHub(db, { shared });
  try {
    await hub.start();
    const calls: Calls = { failed: [], exhausted: [], cancelled: [] };
    const jobs = defineJobs([bindJob(fakeKind(calls), { db, hub, behaviour })]);
    await use({ db, hub, jobs, calls, shared });
  } finally {
    hub.stop();
    await opened.close();
  }
}

/** Queues a fake job on a fresh subject. */
async function queue(db: Db, note = "hello"): Promise<JobRow> {
  const subjectId = crypto.randomUUID();
  return await enqueueJob(db, fakeKey, {
    targetId: subjectId,
    params: { subject_id: subjectId, note },
  });
}

/**
 * Waits until frames of `topic` are flowing (with PostgreSQL that takes a read), then
 * returns the promise of the first one `test` accepts. (An object: an async function
 * cannot return a promise without waiting for it.)
 */
async function nextFrame(
  hub: EventHub,
  topic: `project:${string}`,
  test: (frame: Frame) => boolean,
): Promise<{ frame: Promise<Frame> }> {
  const { promise, resolve } = Promise.withResolvers<Frame>();
  const following = await hub.follow([topic], null, (frame) => {
    if (test(frame)) resolve(frame);
  });
  return { frame: promise.finally(() => following.close()) };
}

/** The first `done` frame of `topic` (see {@linkcode nextFrame}). */
function nextDone(hub: EventHub, topic: `project:${string}`): Promise<{ frame: Promise<Frame> }> {
  return nextFrame(hub, topic, (frame) => frame.type === "done");
}

for (const backend of BACKENDS) {
  Deno.test(`a kind may be defined once (${backend})`, async () => {
    await withJobs(backend, "succeed", ({ db, hub, calls }) => {
      const bound = bindJob(fakeKind(calls), { db, hub, behaviour: "succeed" });
      assert.throws(() => defineJobs([bound, bound]), /storyboard is defined twice/);
      return Promise.resolve();
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`a kind without a definition is named, and its job fails when claimed (${backend})`, async () => {
    await withJobs(backend, "succeed", async ({ db, shared }) => {
      const jobs = defineJobs([]);
      assert.equal(jobs.has("process_manifest"), false);
      assert.throws(() => jobs.of("process_manifest"), /process_manifest have no definition/);
      const row = await enqueueJob(db, { kind: "process_manifest", serialKey: () => "key" }, {
        targetId: crypto.randomUUID(),
        params: {},
      });
      const runner = new JobRunner(db, jobs, { concurrency: 1, shared });
      await runner.start();
      try {
        while ((await statusOf(db, row.id)) !== "failed") {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.match((await getJob(db, row.id)).error ?? "", /no definition in this service/);
      } finally {
        await runner.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`a run's done frame carries its counters and its own totals (${backend})`, async () => {
    await withJobs(backend, "succeed", async ({ db, hub, jobs, shared }) => {
      const row = await queue(db);
      assert.equal(row.serial_key, JSON.parse(row.params).subject_id, "keyed by the definition");
      const done = (await nextDone(hub, `project:${row.serial_key}`)).frame;
      const runner = new JobRunner(db, jobs, { concurrency: 1, shared });
      await runner.start();
      try {
        const frame = await done;
        assert.equal(frame.job_id, row.id);
        assert.deepEqual(
          { status: frame.status, error: frame.error, totals: frame.totals },
          { status: "complete", error: null, totals: { made: 2, seen: 3, extra: 1 } },
        );
        const ended = await getJob(db, row.id);
        assert.equal(ended.status, "succeeded");
        const stored = parseProgressOf(ended.progress, fakeKey.steps, fakeKey.emptyCounters);
        assert.deepEqual(Object.keys(stored.steps), ["one", "two"]);
        assert.ok(Object.values(stored.steps).every((step) => step.state === "finished"));
        assert.equal(stored.provider, "fake");
      } finally {
        await runner.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`a run that throws: the job fails, onFailed runs, done says error (${backend})`, async () => {
    await withJobs(backend, "fail", async ({ db, hub, jobs, calls, shared }) => {
      const row = await queue(db);
      const done = (await nextDone(hub, `project:${row.serial_key}`)).frame;
      const runner = new JobRunner(db, jobs, { concurrency: 1, shared });
      await runner.start();
      try {
        const frame = await done;
        assert.equal(frame.status, "error");
        assert.equal(frame.error, "The fake job broke.");
        assert.deepEqual(frame.totals, { made: 2, seen: 0 }, "the counters it had saved");
        assert.deepEqual(calls.failed, [{ id: row.id, message: "The fake job broke." }]);
        const ended = await getJob(db, row.id);
        assert.equal(ended.status, "failed");
        assert.equal(ended.error, "The fake job broke.");
      } finally {
        await runner.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`cancel: onCancelled inside the transaction, then done says cancelled (${backend})`, async () => {
    await withJobs(backend, "wait", async ({ db, hub, jobs, calls }) => {
      const queued = await queue(db, "queued one");
      const done = (await nextDone(hub, `project:${queued.serial_key}`)).frame;
      const interrupted: string[] = [];
      const runner = { interrupt: (id: string) => void interrupted.push(id) };
      const cancelled = await cancelJob({ db, runner, jobs }, queued.id);
      assert.equal(cancelled.status, "cancelled");
      assert.deepEqual(calls.cancelled, [{
        id: queued.id,
        note: "queued one",
        status: "cancelled",
      }]);
      assert.deepEqual(interrupted, [queued.id]);
      const frame = await done;
      assert.deepEqual(
        { status: frame.status, error: frame.error, totals: frame.totals },
        { status: "cancelled", error: null, totals: { made: 0, seen: 0 } },
      );
      await assert.rejects(
        () => cancelJob({ db, runner, jobs }, queued.id),
        (error: Error & { code?: string }) => error.code === "job_not_active",
      );
      assert.equal(calls.cancelled.length, 1, "nothing more happened to the subject");
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`cancel of a running job stops it at its next checkpoint (${backend})`, async () => {
    await withJobs(backend, "wait", async ({ db, hub, jobs, calls, shared }) => {
      const row = await queue(db);
      const runner = new JobRunner(db, jobs, { concurrency: 1, shared });
      const started = (await nextFrame(
        hub,
        `project:${row.serial_key}`,
        (frame) => frame.type === "step" && frame.step === "one" && frame.state === "finished",
      )).frame;
      await runner.start();
      try {
        await started;
        const done = (await nextDone(hub, `project:${row.serial_key}`)).frame;
        await cancelJob({ db, runner, jobs }, row.id);
        assert.equal((await done).status, "cancelled");
        while (runner.runningCount() > 0) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(await statusOf(db, row.id), "cancelled");
        assert.deepEqual(calls.failed, [], "an interrupted run is not a failure");
      } finally {
        await runner.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`jobs interrupted too often fail at start with onExhausted and a done (${backend})`, async () => {
    await withJobs(backend, "succeed", async ({ db, hub, jobs, calls, shared }) => {
      const row = await queue(db);
      // Left running by a process that died: alone, any running job at start; shared, one
      // whose lease expired.
      await db.updateTable("jobs").set({
        status: "running",
        attempts: MAX_ATTEMPTS,
        lease_owner: "dead",
        lease_expires_at: "2000-01-01T00:00:00.000Z",
      }).where("id", "=", row.id).execute();
      const done = (await nextDone(hub, `project:${row.serial_key}`)).frame;
      const runner = new JobRunner(db, jobs, { concurrency: 1, shared });
      await runner.start();
      try {
        const frame = await done;
        assert.equal(frame.status, "error");
        assert.match(String(frame.error), /interrupted 3 times/);
        assert.equal(calls.exhausted.length, 1);
        assert.match(calls.exhausted[0].message, /interrupted 3 times/);
        assert.equal(await statusOf(db, row.id), "failed");
      } finally {
        await runner.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`a topic's snapshot comes from the definition of its subject (${backend})`, async () => {
    await withJobs(backend, "succeed", async ({ db, jobs }) => {
      const row = await queue(db);
      assert.deepEqual(await jobs.snapshot(`project:${row.serial_key}`), {
        job_id: row.id,
        subject: row.serial_key,
      });
      assert.equal(await jobs.snapshot(`project:${crypto.randomUUID()}`), null, "unknown id");
      assert.equal(await jobs.snapshot(`manifest:${row.serial_key}`), null, "no such subject");
    });
  });
}

for (const backend of BACKENDS) {
  Deno.test(`the claim passes over a queued job whose key is busy (${backend})`, async () => {
    await withJobs(backend, "succeed", async ({ db }) => {
      const first = await queue(db);
      const second = await enqueueJob(db, fakeKey, {
        targetId: crypto.randomUUID(),
        params: { subject_id: first.serial_key, note: "same subject" },
      });
      const other = await queue(db);
      // Queued in this order, whatever the clock's resolution.
      for (const [index, row] of [first, second, other].entries()) {
        await db.updateTable("jobs").set({ created_at: `2026-01-01T00:00:0${index}.000Z` })
          .where("id", "=", row.id).execute();
      }
      assert.equal(second.serial_key, first.serial_key);
      const claimed = await claimNextJob(db, "owner", [first.serial_key]);
      assert.equal(claimed?.id, other.id, "the busy subject's jobs wait");
      assert.equal(await claimNextJob(db, "owner", [first.serial_key]), undefined);
      assert.equal((await claimNextJob(db, "owner"))?.id, first.id, "then the oldest goes first");
      assert.equal((await latestJobFor(db, first.serial_key))?.id, second.id);
      assert.equal((await latestJobFor(db, first.serial_key, { active: true }))?.id, second.id);
    });
  });
}
