/**
 * Starts and stops the whole service: database, worker pool, blob store and HTTP server.
 * `main.ts` calls it with the environment's configuration; tests call it with their own.
 *
 * @module
 */
import { join } from "node:path";
import type { Hono } from "hono";
import { type Config, ConfigError, isLoopbackAddress } from "./config.ts";
import { migrateToLatest } from "./db/database.ts";
import { connectDatabase, describeDatabaseUrl, type OpenedDatabase } from "./db/dialect.ts";
import { createApp, type Services } from "./app.ts";
import { ImageService } from "./engine/image_service.ts";
import { log, redactSecret, setLogLevel } from "./log.ts";
import { type BlobStore, LocalBlobStore } from "./storage/blob_store.ts";
import { S3BlobStore, S3StoreError } from "./storage/s3_blob_store.ts";
import { type EnginePool, startEnginePool } from "./engine/engine_pool.ts";
import { visionInitFromCatalog } from "./vision/vision_init.ts";
import { createWebSocketEndpoint } from "./api/ws.ts";
import { EventHub } from "./events/event_hub.ts";
import { lastSeqOf } from "./events/event_log.ts";
import { fontPaths } from "./imaging/fonts.ts";
import { JobRunner } from "./jobs/job_runner.ts";
import { bindJob } from "./jobs/bound_job.ts";
import { defineJobs } from "./jobs/job_kinds.ts";
import { LocalAnalyzer } from "./llm/local_analyzer.ts";
import { GeminiProvider } from "./llm/gemini.ts";
import type { ReversePromptProvider } from "./llm/provider.ts";
import { activeProvider } from "./app.ts";
import type { PipelineDeps } from "./pipeline/context.ts";
import { DEFAULT_CROP_PLAN } from "./vision/crop_plan.ts";
import { processManifestJob, reprocessAssetJob } from "./pipeline/process_manifest.ts";
import { GeminiStoryboardWriter } from "./storyboard/gemini_writer.ts";
import { storyboardJob } from "./storyboard/generate.ts";
import type { StoryboardWriter } from "./storyboard/writer.ts";

/** A running service. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly app: Hono;
  readonly services: Services;
  /** Stops accepting requests, lets running ones finish, then releases everything. */
  close(): Promise<void>;
}

/** The SQLite file inside `DATA_DIR`. */
export function databasePath(dataDir: string): string {
  return join(dataDir, "manifest-studio.db");
}

async function ensureWritable(dir: string): Promise<void> {
  const status = await Deno.permissions.query({ name: "write", path: dir });
  if (status.state !== "granted") {
    throw new ConfigError(
      `DATA_DIR ${dir} is not writable by this process: start it with \`deno task start\` ` +
        "(which allows writing to DATA_DIR, whatever it is), or give this folder to " +
        `--allow-write (e.g. --allow-write=./models,${dir}).`,
    );
  }
  await Deno.mkdir(dir, { recursive: true });
}

/** Opens the database, starts the workers and begins serving. */
export async function startServer(config: Config): Promise<RunningServer> {
  setLogLevel(config.logLevel);
  redactSecret(config.authToken);
  redactSecret(config.geminiApiKey);
  await ensureWritable(config.dataDir);
  // Before anything that would need undoing: a bucket that cannot be used stops the start.
  const blobs = await openBlobStore(config);

  const database = await openConfiguredDatabase(config);
  const { db } = database;
  let pool: EnginePool | undefined;
  try {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) log.info("Database migrated.", { applied });
    pool = startEnginePool({
      size: config.workers,
      name: "engine",
      init: {
        vision: await visionInitFromCatalog({
          faceDetector: config.faceDetector,
          objectDetector: config.objectDetector,
        }),
        fonts: await fontPaths(),
      },
    });
    await pool.ready();
  } catch (error) {
    pool?.close();
    await database.close();
    throw error;
  }
  // Shared with other instances (PostgreSQL): frames and cancels travel as notifications.
  const shared = database.notifications;
  const hub = new EventHub(db, { shared });
  await hub.start();
  const pipeline: PipelineDeps = {
    db,
    blobs,
    pool,
    hub,
    provider: reversePromptProvider(config, pool),
    faceMatchThreshold: config.faceMatchThreshold,
    cropPlan: { ...DEFAULT_CROP_PLAN, maxPerImage: config.maxCropsPerImage },
    contactSheetPageSize: config.contactSheetPageSize,
  };
  const writer = storyboardWriter(config);
  const jobs = defineJobs([
    bindJob(processManifestJob, pipeline),
    bindJob(reprocessAssetJob, pipeline),
    bindJob(storyboardJob, { db, hub, writer }),
  ]);
  const runner = new JobRunner(db, jobs, {
    concurrency: config.jobConcurrency,
    leaseSeconds: config.jobLeaseSeconds,
    shared,
  });
  const websocket = createWebSocketEndpoint({
    hub,
    authToken: config.authToken,
    snapshot: (topic) => jobs.snapshot(topic),
    lastSeq: (topic) => lastSeqOf(db, topic),
  });
  const services: Services = {
    config,
    db,
    database: { kind: database.kind, instance: runner.owner },
    pool,
    blobs,
    images: new ImageService(pool, { maxPixels: config.maxImagePixels }),
    hub,
    jobs,
    runner,
    websocket,
    writer,
  };
  const app = createApp(services);
  await runner.start();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: config.host, port: config.port, onListen: resolve },
    app.fetch,
  );
  const address = await listening;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  const url = `http://${host}:${address.port}`;
  log.info("Manifest Studio is serving.", {
    url,
    workers: config.workers,
    database: database.label,
    instance: runner.owner,
  });
  if (config.authToken === undefined && !isLoopbackAddress(config.host)) {
    // Allowed only by ALLOW_UNAUTHENTICATED_NETWORK: say once what that means in practice.
    log.warn(
      "Serving a network address without AUTH_TOKEN (ALLOW_UNAUTHENTICATED_NETWORK): anyone " +
        "who reaches it may use it. Browsers get answers only under localhost, 127.0.0.1, " +
        "[::1] and the names in ALLOWED_HOSTS.",
      { allowed_hosts: config.allowedHosts },
    );
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    services,
    close() {
      closing ??= (async () => {
        websocket.closeAll();
        await server.shutdown();
        await runner.stop();
        hub.stop();
        pool.close();
        await database.close();
      })();
      return closing;
    },
  };
}

/**
 * The S3 bucket the `S3_*` variables name (created when missing, probed with a write), or
 * files under `DATA_DIR`. A bucket that cannot be used is a configuration error, naming the
 * variable to fix.
 */
async function openBlobStore(config: Config): Promise<BlobStore> {
  if (!config.s3) return new LocalBlobStore(config.dataDir);
  redactSecret(config.s3.secretAccessKey);
  try {
    const store = await S3BlobStore.open(config.s3);
    log.info("Blobs are stored in an S3 bucket.", {
      endpoint: store.endpoint,
      bucket: store.bucket,
    });
    return store;
  } catch (error) {
    if (error instanceof S3StoreError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * The database `DATABASE_URL` names (PostgreSQL), else the SQLite file in `DATA_DIR`. A
 * PostgreSQL server that cannot be reached is a configuration error: the service refuses
 * to start rather than serve without its data.
 */
async function openConfiguredDatabase(config: Config): Promise<OpenedDatabase> {
  const sqlitePath = databasePath(config.dataDir);
  if (config.databaseUrl === undefined) return await connectDatabase({ sqlitePath });
  // The URL's password must not reach a log line through an error message.
  redactSecret(passwordOf(config.databaseUrl));
  try {
    return await connectDatabase({ url: config.databaseUrl, sqlitePath });
  } catch (error) {
    throw new ConfigError(
      `DATABASE_URL names a PostgreSQL database this process cannot use ` +
        `(${describeDatabaseUrl(config.databaseUrl)}): ${(error as Error).message}. Check ` +
        "that the server runs and is reachable, and the user, password and database name; " +
        "or unset DATABASE_URL to use the SQLite file in DATA_DIR.",
      { cause: error },
    );
  }
}

/** The URL's password, decoded, if it has one. */
function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Gemini writes storyboards when a key is set, whatever provider describes assets. */
function storyboardWriter(config: Config): StoryboardWriter | null {
  if (!config.geminiApiKey) return null;
  return new GeminiStoryboardWriter({
    apiKey: config.geminiApiKey,
    model: config.geminiModel,
    baseUrl: config.geminiBaseUrl,
    timeoutMs: config.storyboardTimeoutMs,
    maxRetries: config.geminiMaxRetries,
  });
}

/** The provider `REVERSE_PROMPT_PROVIDER` selects: Gemini with a key, else local. */
function reversePromptProvider(config: Config, pool: EnginePool): ReversePromptProvider {
  if (activeProvider(config) === "gemini" && config.geminiApiKey) {
    return new GeminiProvider({
      apiKey: config.geminiApiKey,
      model: config.geminiModel,
      baseUrl: config.geminiBaseUrl,
      concurrency: config.geminiConcurrency,
      timeoutMs: config.geminiTimeoutMs,
      maxRetries: config.geminiMaxRetries,
    });
  }
  return new LocalAnalyzer({ pool });
}
