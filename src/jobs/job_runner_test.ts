/**
 * The runner with several instances on one PostgreSQL database (and, where it means the
 * same, alone on SQLite): claims without duplicates, one job per key at a time across
 * instances, leases renewed while a job runs and taken over once expired, and a cancel
 * made on one instance stopping the job another one runs.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { connectDatabase, type OpenedDatabase } from "../db/dialect.ts";
import { migrateToLatest } from "../db/database.ts";
import type { JobRow } from "../db/tables.ts";
import { notFound } from "../errors.ts";
import { EventHub } from "../events/event_hub.ts";
import {
  type Backend,
  BACKENDS,
  freshPostgresUrl,
  openTestDatabase,
} from "../../tests/_postgres.ts";
import { bindJob } from "./bound_job.ts";
import { cancelJob } from "./cancel_job.ts";
import type { JobControl } from "./job_control.ts";
import type { JobDefinition, JobServices } from "./job_definition.ts";
import { defineJobs, type JobKinds } from "./job_kinds.ts";
import { JobRunner } from "./job_runner.ts";
import { claimNextJob, enqueueJob, finishJob, getJob, latestJobFor } from "./job_store.ts";

const Params = z.object({ key: z.string(), ms: z.number() });
type Params = z.infer<typeof Params>;

/** What every run did, across instances (they share this process in these tests). */
interface Log {
  /** [job id, instance, start, end] of every run. */
  runs: { id: string; key: string; instance: string; start: number; end: number }[];
}

interface Deps extends JobServices {
  readonly instance: string;
  readonly log: Log;
  /** Checkpoints are ignored for this long after a cancel (a slow unit of work). */
  readonly windDownMs: number;
}

/** Runs for `params.ms`, checking for a cancel every 10 ms. */
function sleeper(): JobDefinition<"storyboard", Params, "sleep", { ticks: number }, Deps> {
  return {
    kind: "storyboard",
    subject: "project",
    params: Params,
    serialKey: ({ params }) => params.key,
    steps: ["sleep"],
    emptyCounters: () => ({ ticks: 0 }),
    provider: () => null,
    manifestId: () => null,
    async run(job, control, progress, deps) {
      const start = performance.now();
      try {
        await progress.stepStarted("sleep");
        while (performance.now() - start < job.params.ms) {
          await checkpoint(control, deps.windDownMs);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await progress.stepFinished("sleep");
        await finishJob(deps.db, job, "succeeded");
        return { error: null, totals: {} };
      } finally {
        deps.log.runs.push({
          id: job.id,
          key: job.params.key,
          instance: deps.instance,
          start,
          end: performance.now(),
        });
      }
    },
    onFailed: () => Promise.resolve(),
    onExhausted: () => Promise.resolve(),
    onCancelled: () => Promise.resolve(),
    snapshot: async (db, id) => {
      const job = await latestJobFor(db, id);
      if (!job) throw notFound("Subject", id);
      return { job_id: job.id };
    },
  };
}

async function checkpoint(control: JobControl, windDownMs: number): Promise<void> {
  if (control.signal.aborted && windDownMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, windDownMs));
  }
  await control.checkpoint();
}

const key = sleeper();

/** One instance: its own pool and LISTEN connection, hub, kinds and runner. */
interface Instance {
  readonly name: string;
  readonly opened: OpenedDatabase;
  readonly db: Db;
  readonly hub: EventHub;
  readonly jobs: JobKinds;
  readonly runner: JobRunner;
}

async function instance(
  opened: OpenedDatabase,
  name: string,
  log: Log,
  options: { concurrency?: number; leaseSeconds?: number; windDownMs?: number } = {},
): Promise<Instance> {
  const { db, notifications: shared } = opened;
  const hub = new EventHub(db, { shared });
  await hub.start();
  const deps = { db, hub, instance: name, log, windDownMs: options.windDownMs ?? 0 };
  const jobs = defineJobs([bindJob(sleeper(), deps)]);
  const runner = new JobRunner(db, jobs, {
    concurrency: options.concurrency ?? 2,
    leaseSeconds: options.leaseSeconds ?? 30,
    shared,
  });
  return { name, opened, db, hub, jobs, runner };
}

async function stopAll(instances: Instance[]): Promise<void> {
  for (const { runner, hub, opened } of instances) {
    await runner.stop();
    hub.stop();
    await opened.close();
  }
}

/** Opens `count` handles on one fresh PostgreSQL database, migrated. */
async function handles(count: number): Promise<OpenedDatabase[]> {
  const url = await freshPostgresUrl();
  const list: OpenedDatabase[] = [];
  for (let i = 0; i < count; i++) list.push(await connectDatabase({ url, sqlitePath: "" }));
  await migrateToLatest(list[0].db);
  return list;
}

function queue(db: Db, jobKey: string, ms: number): Promise<JobRow> {
  return enqueueJob(db, key, { targetId: jobKey, params: { key: jobKey, ms } });
}

async function waitFor(test: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = performance.now();
  while (!await test()) {
    if (performance.now() - start > ms) throw new Error(`Timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}

async function allEnded(db: Db): Promise<boolean> {
  const open = await db.selectFrom("jobs").select("id")
    .where("status", "in", ["queued", "running"]).execute();
  return open.length === 0;
}

Deno.test("claims from two instances at once take every job exactly once", async () => {
  const [a, b] = await handles(2);
  try {
    const jobs = 200;
    for (let i = 0; i < jobs; i++) await queue(a.db, `key-${i}`, 0);
    const claimed: string[] = [];
    const times: number[] = [];
    const loop = async (db: Db, owner: string) => {
      while (true) {
        const start = performance.now();
        const job = await claimNextJob(db, owner);
        times.push(performance.now() - start);
        if (!job) return;
        claimed.push(job.id);
      }
    };
    await Promise.all([loop(a.db, "a1"), loop(a.db, "a2"), loop(b.db, "b1"), loop(b.db, "b2")]);
    assert.equal(claimed.length, jobs);
    assert.equal(new Set(claimed).size, jobs, "no job was claimed twice");
    const rows = await a.db.selectFrom("jobs").select(["status", "attempts"]).execute();
    assert.ok(rows.every((row) => row.status === "running" && row.attempts === 1));
    times.sort((p, q) => p - q);
    console.log(
      `claim latency over ${times.length} claims from 4 loops on 2 pools: median ` +
        `${times[times.length >> 1].toFixed(2)} ms, p95 ${
          times[Math.floor(times.length * 0.95)].toFixed(2)
        } ms`,
    );
  } finally {
    for (const handle of [a, b]) await handle.close();
  }
});

Deno.test("jobs of one key never overlap across instances; every job runs once", async () => {
  const [a, b, c] = await handles(3);
  const log: Log = { runs: [] };
  const instances = [
    await instance(a, "A", log, { concurrency: 3 }),
    await instance(b, "B", log, { concurrency: 3 }),
    await instance(c, "C", log, { concurrency: 3 }),
  ];
  try {
    const queued: JobRow[] = [];
    for (let round = 0; round < 4; round++) {
      for (const jobKey of ["k1", "k2", "k3"]) queued.push(await queue(a.db, jobKey, 60));
    }
    for (const { runner } of instances) await runner.start();
    await waitFor(() => allEnded(a.db), 30_000, "every job ended");
    assert.equal(log.runs.length, queued.length, "each job ran once");
    assert.equal(new Set(log.runs.map((run) => run.id)).size, queued.length);
    for (const jobKey of ["k1", "k2", "k3"]) {
      const runs = log.runs.filter((run) => run.key === jobKey).sort((p, q) => p.start - q.start);
      for (let i = 1; i < runs.length; i++) {
        assert.ok(
          runs[i].start >= runs[i - 1].end,
          `${jobKey}: run ${i} overlapped the one before`,
        );
      }
    }
    const rows = await a.db.selectFrom("jobs").select(["status", "attempts"]).execute();
    assert.ok(rows.every((row) => row.status === "succeeded" && row.attempts === 1));
    assert.ok(new Set(log.runs.map((run) => run.instance)).size >= 2, "the work was shared");
  } finally {
    await stopAll(instances);
  }
});

Deno.test("a heartbeat keeps a job longer than its lease; a dead instance's job is taken over", async () => {
  const [a, b] = await handles(2);
  const log: Log = { runs: [] };
  const alive = await instance(a, "A", log, { leaseSeconds: 2 });
  const other = await instance(b, "B", log, { leaseSeconds: 2 });
  try {
    // Runs 3 s under a 2 s lease: only the heartbeat keeps it.
    const long = await queue(a.db, "long", 3_000);
    await alive.runner.start();
    await waitFor(async () => (await getJob(a.db, long.id)).status === "running", 5_000, "claim");
    await other.runner.start();
    await waitFor(async () => (await getJob(a.db, long.id)).status === "succeeded", 10_000, "end");
    assert.equal((await getJob(a.db, long.id)).attempts, 1, "never taken over");
    assert.deepEqual(log.runs.map((run) => run.instance), ["A"]);

    // An instance that claimed a job and died: nothing renews its lease.
    const orphan = await queue(a.db, "orphan", 50);
    await a.db.updateTable("jobs").set({
      status: "running",
      attempts: 1,
      lease_owner: "dead-instance",
      lease_expires_at: new Date(Date.now() + 1_000).toISOString(),
    }).where("id", "=", orphan.id).execute();
    const tookOver = await waitFor(
      async () => (await getJob(a.db, orphan.id)).status === "succeeded",
      10_000,
      "takeover",
    );
    const row = await getJob(a.db, orphan.id);
    assert.equal(row.attempts, 2);
    assert.equal(row.lease_owner, null);
    console.log(
      `a dead instance's job (lease expiring in 1 s) finished after ${tookOver.toFixed(0)} ms`,
    );
  } finally {
    await stopAll([alive, other]);
  }
});

Deno.test("a cancel made on one instance stops the job another runs, within 2 s", async () => {
  const [a, b] = await handles(2);
  const log: Log = { runs: [] };
  const runs = await instance(a, "A", log);
  const cancels = await instance(b, "B", log, { concurrency: 0 });
  try {
    const job = await queue(a.db, "cancel-me", 60_000);
    await runs.runner.start();
    await waitFor(async () => (await getJob(a.db, job.id)).status === "running", 5_000, "claim");
    const started = performance.now();
    await cancelJob({ db: b.db, runner: cancels.runner, jobs: cancels.jobs }, job.id);
    // The instance running it lets go of its lease once the run has stopped.
    await waitFor(
      async () =>
        (await getJob(a.db, job.id)).lease_owner === null && runs.runner.runningCount() === 0,
      2_000,
      "the running instance stopped the job",
    );
    const stoppedAfter = performance.now() - started;
    assert.equal((await getJob(a.db, job.id)).status, "cancelled");
    console.log(`cancel on B → job stopped on A after ${stoppedAfter.toFixed(1)} ms`);
  } finally {
    await stopAll([runs, cancels]);
  }
});

Deno.test("a cancelled job still winding down keeps its key from another instance", async () => {
  const [a, b] = await handles(2);
  const log: Log = { runs: [] };
  const slow = await instance(a, "A", log, { windDownMs: 800 });
  const other = await instance(b, "B", log);
  try {
    const first = await queue(a.db, "subject", 60_000);
    await slow.runner.start();
    await waitFor(async () => (await getJob(a.db, first.id)).status === "running", 5_000, "claim");
    await other.runner.start();
    await cancelJob({ db: b.db, runner: other.runner, jobs: other.jobs }, first.id);
    const second = await queue(b.db, "subject", 10);
    await waitFor(
      async () => (await getJob(a.db, second.id)).status === "succeeded",
      10_000,
      "next",
    );
    const [cancelled, next] = [
      log.runs.find((r) => r.id === first.id)!,
      log.runs.find((r) => r.id === second.id)!,
    ];
    assert.ok(next.start >= cancelled.end, "the next job of the key began after the first stopped");
  } finally {
    await stopAll([slow, other]);
  }
});

for (const backend of BACKENDS) {
  Deno.test(`a graceful stop leaves no job orphaned (${backend})`, async () => {
    const opened = await openTestDatabase(backend as Backend);
    const log: Log = { runs: [] };
    const one = await instance(opened, "A", log);
    const job = await queue(opened.db, "stopped", 60_000);
    await one.runner.start();
    try {
      await waitFor(
        async () => (await getJob(opened.db, job.id)).status === "running",
        5_000,
        "claim",
      );
      await one.runner.stop();
      const row = await getJob(opened.db, job.id);
      // Alone it resumes at the next start; shared, another instance goes on with it now.
      assert.equal(row.status, backend === "sqlite" ? "running" : "queued");
      assert.equal(row.lease_owner, null);
    } finally {
      await stopAll([one]);
    }
  });
}
