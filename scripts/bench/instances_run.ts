/**
 * The measuring half of the `instances` section (instances.ts), in a process of its own: it
 * starts a throwaway PostgreSQL cluster and joins the tests' shared radosgw (both stop once
 * this process has ended), which needs commands the bench process may not run.
 *
 * The same photos are processed three times by real service processes (`deno run main.ts`):
 * one on SQLite with blobs under its `DATA_DIR`, one on PostgreSQL + S3, and two on one
 * PostgreSQL database and one bucket. Each run gets a fresh database, bucket and `DATA_DIR`s.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-net=127.0.0.1 --allow-env --allow-sys \
 *   --allow-run scripts/bench/instances_run.ts --photos 24 --seed 1 --workers 2
 * ```
 *
 * Prints one JSON object ({@linkcode InstancesReport}) on stdout; progress goes to stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { connectDatabase } from "../../src/db/dialect.ts";
import { loadConfig } from "../../src/config.ts";
import { walk } from "../../tests/_harness.ts";
import { type Instance, spawnInstance } from "../../tests/_instances.ts";
import { freshPostgresUrl } from "../../tests/_postgres.ts";
import { listKeys, radosgw, s3Env, uniqueBucket } from "../../tests/_radosgw.ts";
import { benchDataDir } from "./data_dir.ts";
import { type GeneratedPhoto, generatePhotos } from "./photo_set.ts";
import { quantile, summarize, type Summary } from "./stats.ts";

/** Jobs submitted again on idle instances, one at a time, to time their claim. */
const CLAIM_PROBES = 10;
/** A run whose jobs have not all ended after this long fails the section. */
const RUN_TIMEOUT_MS = 3_600_000;
/** How often the runner of each job is read from the jobs table while they run. */
const OWNER_POLL_MS = 20;

// deno-lint-ignore no-explicit-any
type Json = any;

/** One configuration's run. */
export interface RunReport {
  readonly instances: number;
  readonly database: "sqlite" | "postgres";
  readonly blobs: "local" | "s3";
  /** Making the manifests and uploading the photos into them. */
  readonly uploadSeconds: number;
  /** From the first `POST …/process` until every job had ended. */
  readonly processSeconds: number;
  readonly photosPerSecond: number;
  /** Each manifest's status afterwards (READY unless something failed). */
  readonly statuses: readonly string[];
  readonly assets: number;
  /** How many of the run's jobs each instance ran (from the jobs table; PostgreSQL only). */
  readonly jobsPerInstance: readonly number[] | null;
  /** Enqueue (`created_at`) to claim (`started_at`) of jobs on idle instances, in ms. */
  readonly claimMs: Summary;
  /** Receipt time minus frame `ts` on clients following the jobs; null when none arrived. */
  readonly frameMs: {
    readonly sameInstance: FrameSummary | null;
    readonly crossInstance: FrameSummary | null;
  };
  /** Files the instances left under their `DATA_DIR`s, and keys in the bucket (S3 only). */
  readonly dataDirFiles: number;
  readonly bucketKeys: number | null;
}

/** Latency percentiles of frames, in ms (timestamps have 1 ms resolution). */
export interface FrameSummary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** What this script prints. */
export interface InstancesReport {
  readonly photos: number;
  readonly seed: number;
  readonly manifests: number;
  readonly workersPerInstance: number;
  readonly jobConcurrency: number;
  readonly runs: {
    readonly sqlite: RunReport;
    readonly postgresS3: RunReport;
    readonly postgresS3TwoInstances: RunReport;
  };
  /** Whether the PostgreSQL + S3 runs made as many assets as the SQLite run. */
  readonly sameAssetsAsSqlite: boolean;
}

/** One configuration: an environment per instance, and its database when PostgreSQL. */
interface Setup {
  readonly label: string;
  readonly envs: readonly Record<string, string>[];
  readonly databaseUrl: string | null;
  readonly bucket: string | null;
  readonly dataDirs: readonly string[];
}

function log(message: string): void {
  console.error(`bench: instances: ${message}`);
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function frameSummary(values: readonly number[]): FrameSummary | null {
  if (values.length === 0) return null;
  return {
    n: values.length,
    p50: round(quantile(values, 0.5), 1),
    p95: round(quantile(values, 0.95), 1),
    p99: round(quantile(values, 0.99), 1),
    max: Math.max(...values),
  };
}

async function call(instance: Instance, method: string, path: string, body?: BodyInit) {
  const headers = typeof body === "string" ? { "content-type": "application/json" } : undefined;
  const response = await instance.server.fetch(path, { method, body, headers });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${instance.name}: ${method} ${path} answered ${response.status}: ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

/** Polls a manifest's progress until its job has ended. */
async function waitForEnd(instance: Instance, manifestId: string, deadline: number) {
  while (true) {
    const progress = await call(instance, "GET", `/api/manifests/${manifestId}/progress`);
    if (["complete", "error", "cancelled"].includes(progress.status)) return progress;
    if (Date.now() > deadline) throw new Error(`Manifest ${manifestId} did not finish in time.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A WebSocket client following `topics` on `instance`, timing every live frame. */
async function follow(instance: Instance, topics: readonly string[]) {
  const ws = new WebSocket(`${instance.server.url.replace("http", "ws")}/ws`);
  const latencies: { topic: string; ms: number }[] = [];
  let snapshots = 0;
  const { promise: subscribed, resolve } = Promise.withResolvers<void>();
  ws.onmessage = (event) => {
    const receivedAt = Date.now();
    const frame = JSON.parse(event.data);
    if (frame.type === "snapshot") {
      if (++snapshots === topics.length) resolve();
    } else if (frame.type !== "pong" && typeof frame.ts === "string") {
      latencies.push({ topic: frame.topic, ms: receivedAt - Date.parse(frame.ts) });
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`WebSocket to ${instance.name} failed`));
  });
  ws.send(JSON.stringify({ type: "subscribe", topics }));
  await subscribed;
  return {
    instance,
    latencies,
    async close() {
      const closed = new Promise((resolve) => ws.addEventListener("close", resolve));
      ws.close();
      await closed;
    },
  };
}

/** What {@linkcode runSetup} measures; {@linkcode measure} adds what was left behind. */
type Measured = Omit<RunReport, "dataDirFiles" | "bucketKeys">;

async function runSetup(
  setup: Setup,
  photos: readonly GeneratedPhoto[],
  manifests: number,
): Promise<Measured> {
  log(`${setup.label}: starting ${setup.envs.length} instance(s)`);
  const instances: Instance[] = [];
  const database = setup.databaseUrl
    ? await connectDatabase({ url: setup.databaseUrl, sqlitePath: "" })
    : null;
  try {
    for (const [i, env] of setup.envs.entries()) {
      instances.push(await spawnInstance(String.fromCharCode(65 + i), env));
    }
    const through = (i: number) => instances[i % instances.length];

    // The same split in every run: photo j goes to manifest j mod M, made through instance
    // m mod (instances), so that both instances take part in the two-instance run.
    const uploadStart = performance.now();
    const ids = await Promise.all(
      Array.from({ length: manifests }, async (_, m) => {
        const name = JSON.stringify({ name: `Instances bench ${m + 1}` });
        const { id } = await call(through(m), "POST", "/api/manifests", name);
        const form = new FormData();
        for (const photo of photos.filter((p) => p.index % manifests === m)) {
          const bytes = photo.bytes as Uint8Array<ArrayBuffer>;
          form.append("file", new File([bytes], photo.name, { type: "image/jpeg" }));
        }
        await call(through(m), "POST", `/api/manifests/${id}/uploads`, form);
        return id as string;
      }),
    );
    const uploadSeconds = (performance.now() - uploadStart) / 1000;

    // Every instance has a client following every manifest, so that each job's frames are
    // seen both where it runs and (with two instances) where it does not.
    const topics = ids.map((id) => `manifest:${id}`);
    const clients = await Promise.all(instances.map((instance) => follow(instance, topics)));
    const runnerOf = new Map<string, string>();
    let polling = true;
    const owners = (async () => {
      while (database && polling) {
        const rows = await database.db.selectFrom("jobs").select(["target_id", "lease_owner"])
          .where("lease_owner", "is not", null).execute();
        for (const row of rows) {
          if (!runnerOf.has(row.target_id)) runnerOf.set(row.target_id, row.lease_owner!);
        }
        await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
      }
    })();

    log(`${setup.label}: processing ${photos.length} photos in ${manifests} manifests`);
    const start = performance.now();
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    await Promise.all(ids.map((id, m) => call(through(m), "POST", `/api/manifests/${id}/process`)));
    await Promise.all(ids.map((id, m) => waitForEnd(through(m), id, deadline)));
    const processSeconds = (performance.now() - start) / 1000;
    polling = false;
    await owners;
    await Promise.all(clients.map((client) => client.close()));

    const finals = await Promise.all(
      ids.map((id) => call(through(0), "GET", `/api/manifests/${id}`)),
    );
    const same: number[] = [];
    const cross: number[] = [];
    for (const client of clients) {
      for (const { topic, ms } of client.latencies) {
        const runner = instances.length === 1 ? client.instance.id : runnerOf.get(topic.slice(9));
        if (runner === undefined) continue; // a runner the polls missed: neither kind
        (runner === client.instance.id ? same : cross).push(ms);
      }
    }

    log(`${setup.label}: timing ${CLAIM_PROBES} claims on idle instances`);
    const claims: number[] = [];
    for (let probe = 0; probe < CLAIM_PROBES; probe++) {
      const m = probe % manifests;
      // Processing a processed manifest again: a short job, so the instances stay idle.
      const job = await call(through(probe), "POST", `/api/manifests/${ids[m]}/process`);
      await waitForEnd(through(probe), ids[m], deadline);
      const ended = await call(through(probe), "GET", `/api/jobs/${job.job_id}`);
      claims.push(Date.parse(ended.started_at) - Date.parse(ended.created_at));
    }

    const jobsPerInstance = database
      ? instances.map((instance) =>
        [...runnerOf.values()].filter((owner) => owner === instance.id).length
      )
      : null;
    return {
      instances: instances.length,
      database: database ? "postgres" : "sqlite",
      blobs: setup.bucket ? "s3" : "local",
      uploadSeconds: round(uploadSeconds),
      processSeconds: round(processSeconds),
      photosPerSecond: round(photos.length / processSeconds, 3),
      statuses: finals.map((manifest) => manifest.status),
      assets: finals.reduce((sum, manifest) => sum + manifest.asset_count, 0),
      jobsPerInstance,
      claimMs: summarize(claims),
      frameMs: { sameInstance: frameSummary(same), crossInstance: frameSummary(cross) },
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.kill()));
    await database?.close();
  }
}

/** Runs a setup, then counts what it left on disk and in the bucket. */
async function measure(
  setup: Setup,
  photos: readonly GeneratedPhoto[],
  manifests: number,
): Promise<RunReport> {
  try {
    const run = await runSetup(setup, photos, manifests);
    const files: string[] = [];
    for (const dir of setup.dataDirs) await walk(dir, files);
    const gw = setup.bucket ? await radosgw() : null;
    const bucketKeys = gw ? (await listKeys(gw, setup.bucket!)).length : null;
    return { ...run, dataDirFiles: files.length, bucketKeys };
  } finally {
    for (const dir of setup.dataDirs) await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      photos: { type: "string", default: "24" },
      seed: { type: "string", default: "1" },
      workers: { type: "string" },
    },
  });
  const count = Number(values.photos);
  const seed = Number(values.seed);
  const config = loadConfig();
  const workers = values.workers ? Number(values.workers) : config.workers;
  // Two job slots on each of two instances: every job of the two-instance run is claimed at
  // once, and one instance has half the slots it needs.
  const manifests = Math.min(count, 2 * config.jobConcurrency);

  log(`generating ${count} photos (seed ${seed})`);
  const photos: GeneratedPhoto[] = [];
  for await (const photo of generatePhotos(count, seed)) photos.push(photo);

  const gw = await radosgw();
  if (gw.startSeconds > 0) log(`radosgw started in ${gw.startSeconds} s`);
  const common = { WORKERS: String(workers), REVERSE_PROMPT_PROVIDER: "local" };
  const noS3 = Object.fromEntries(Object.keys(s3Env(gw, "unused")).map((key) => [key, ""]));
  const setup = async (label: string, instances: number, shared: boolean): Promise<Setup> => {
    const dataDirs = await Promise.all(
      Array.from({ length: instances }, () => benchDataDir(`instances-${label}-`)),
    );
    const databaseUrl = shared ? await freshPostgresUrl() : null;
    const bucket = shared ? uniqueBucket("bench-instances") : null;
    // Blank variables count as unset: this shell's own DATABASE_URL or S3_* do not leak in.
    const env = shared ? { DATABASE_URL: databaseUrl!, ...s3Env(gw, bucket!) } : {
      DATABASE_URL: "",
      ...noS3,
    };
    const envs = dataDirs.map((dir) => ({ ...common, ...env, DATA_DIR: dir }));
    return { label, envs, databaseUrl, bucket, dataDirs };
  };

  const sqlite = await measure(await setup("sqlite", 1, false), photos, manifests);
  const postgresS3 = await measure(await setup("pg-s3", 1, true), photos, manifests);
  const postgresS3TwoInstances = await measure(await setup("pg-s3-x2", 2, true), photos, manifests);
  const report: InstancesReport = {
    photos: count,
    seed,
    manifests,
    workersPerInstance: workers,
    jobConcurrency: config.jobConcurrency,
    runs: { sqlite, postgresS3, postgresS3TwoInstances },
    sameAssetsAsSqlite: postgresS3.assets === sqlite.assets &&
      postgresS3TwoInstances.assets === sqlite.assets,
  };
  console.log(JSON.stringify(report));
}

if (import.meta.main) await main();
