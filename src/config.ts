/**
 * Service configuration from environment variables, validated once at start.
 *
 * Every variable is optional: with none set the service runs offline on embedded SQLite
 * under `./data`, bound to 127.0.0.1:8000.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { describeIssues } from "./zod_issues.ts";
import { z } from "zod";

/**
 * Where model and font files are written and loaded from: the repository's `models/` folder.
 * Kept here, below every folder that reads it, so the font catalog (imaging) and the model
 * catalog (vision) share it without importing each other.
 */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../models/", import.meta.url));

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);
/** `z.coerce.number()` reads "" as 0: an empty numeric variable must mean "unset" instead. */
const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema);

/** `1`/`true`/`yes` or `0`/`false`/`no` (any case); empty or unset is false. */
const flag = z.preprocess(
  (value) => (typeof value === "string" ? value.trim().toLowerCase() : value),
  z.enum(["", "1", "true", "yes", "0", "false", "no"], {
    error: "Expected 1, true or yes to turn it on (0, false, no or unset for off)",
  }).default("").transform((value) => value === "1" || value === "true" || value === "yes"),
);

/** `host`, `host:port`, `[v6]`, `[v6]:port`, `.domain` (and its subdomains) or `*`. */
const HOST_ENTRY = /^(\*|(\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?)$/;

/** A comma-separated list: entries trimmed, empty ones dropped, each normalized or refused. */
function commaList(normalize: (entry: string) => string | null, expected: string) {
  return z.string().default("").transform((value, ctx) => {
    const entries: string[] = [];
    for (const raw of value.split(",").map((entry) => entry.trim()).filter(Boolean)) {
      const entry = normalize(raw);
      if (entry === null) {
        ctx.issues.push({ code: "custom", input: value, message: `"${raw}" is not ${expected}` });
      } else if (!entries.includes(entry)) entries.push(entry);
    }
    return entries;
  });
}

/** A Host name the way ALLOWED_HOSTS lists it, lower-cased; null when it is not one. */
function hostEntry(entry: string): string | null {
  const lower = entry.toLowerCase();
  return HOST_ENTRY.test(lower) ? lower : null;
}

/** `scheme://host[:port]` as browsers send it in `Origin`; null for anything else. */
export function originOf(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username &&
    !url.password;
  // Schemes without a host (file:, data:, extensions) have the opaque origin "null".
  if (!bare || url.origin === "null") return null;
  return url.origin;
}

/**
 * Whether binding `host` keeps the service on this machine: `localhost`, 127.0.0.0/8 and
 * ::1. Any other name or address (0.0.0.0, ::, a LAN address, a host name) may be reachable
 * from the network.
 */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (bare === "localhost") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare);
  if (v4) return v4[1] === "127" && v4.slice(2).every((part) => Number(part) <= 255);
  return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
}

/** S3's rule for bucket names that also work in path-style URLs. */
const S3_BUCKET_NAME = /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

/**
 * The most cells a contact sheet page may hold: JPEG's 65,535 px height limit at four 256 px
 * columns (`MAX_CONTACT_SHEET_CELLS` in src/imaging/contact_sheet.ts, which a test ties to
 * this number; the configuration sits below the imaging code and cannot import it).
 */
export const MAX_CONTACT_SHEET_PAGE_SIZE = 828;

/** The environment variables the service reads, with their defaults. */
export const EnvSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: blankIsUnset(intFrom(0, 65535).default(8000)),
  DATA_DIR: z.string().min(1).default("./data"),
  AUTH_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(8).optional()),
  ALLOWED_HOSTS: commaList(
    hostEntry,
    "a host name: write e.g. studio.lan, studio.lan:8000, 192.168.1.20, [fd00::2], .example.org " +
      "(that domain and its subdomains) or *",
  ),
  ALLOWED_ORIGINS: commaList(
    originOf,
    "an origin: write scheme://host[:port] with no path, e.g. http://localhost:5173",
  ),
  ALLOW_UNAUTHENTICATED_NETWORK: flag,
  GEMINI_API_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  GEMINI_MODEL: z.string().min(1).default("gemini-2.5-flash"),
  GEMINI_BASE_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  REVERSE_PROMPT_PROVIDER: z.enum(["auto", "gemini", "local"]).default("auto"),
  WORKERS: blankIsUnset(intFrom(1, 64).optional()),
  MAX_UPLOAD_MB: blankIsUnset(z.coerce.number().positive().max(1024).default(25)),
  MAX_IMAGE_PIXELS: blankIsUnset(intFrom(1, 1_000_000_000).default(50_000_000)),
  FACE_MATCH_THRESHOLD: blankIsUnset(z.coerce.number().min(0).max(1).default(0.45)),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  FACE_DETECTOR: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  OBJECT_DETECTOR: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  GEMINI_CONCURRENCY: blankIsUnset(intFrom(1, 5).default(5)),
  GEMINI_TIMEOUT_MS: blankIsUnset(intFrom(1, 600_000).default(60_000)),
  GEMINI_MAX_RETRIES: blankIsUnset(intFrom(0, 10).default(3)),
  STORYBOARD_TIMEOUT_MS: blankIsUnset(intFrom(1, 1_800_000).default(300_000)),
  JOB_CONCURRENCY: blankIsUnset(intFrom(1, 16).default(2)),
  MAX_CROPS_PER_IMAGE: blankIsUnset(intFrom(1, 200).default(24)),
  // S3-compatible blob storage: all of the first four, or none (see s3From).
  S3_ENDPOINT: z.preprocess(
    emptyAsUndefined,
    z.url({
      protocol: /^https?$/,
      error: "Expected the server's http:// or https:// address, e.g. http://127.0.0.1:7480",
    }).optional(),
  ),
  S3_BUCKET: z.preprocess(
    emptyAsUndefined,
    z.string().regex(S3_BUCKET_NAME, {
      error: "Expected a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, " +
        "starting and ending with a letter or digit",
    }).optional(),
  ),
  S3_ACCESS_KEY_ID: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  S3_SECRET_ACCESS_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  S3_REGION: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^[a-z0-9-]+$/, {
      error: "Expected a region name such as us-east-1 or eu-west-1",
    }).optional(),
  ),
  CONTACT_SHEET_PAGE_SIZE: blankIsUnset(intFrom(1, MAX_CONTACT_SHEET_PAGE_SIZE).default(48)),
  // Several instances: PostgreSQL instead of the SQLite file, and the job lease.
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.string().regex(/^postgres(ql)?:\/\/\S+$/, {
      error: "Expected a PostgreSQL URL: postgres://user:password@host:5432/database",
    }).optional(),
  ),
  JOB_LEASE_SECONDS: blankIsUnset(intFrom(2, 3600).default(30)),
});

/** The validated, frozen configuration the rest of the service receives. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly authToken: string | undefined;
  /**
   * Host names besides loopback ones the service answers to while no token is set (lower
   * case; `name`, `name:port`, `.domain` or `*`).
   */
  readonly allowedHosts: readonly string[];
  /** Origins besides its own whose pages may change data while no token is set. */
  readonly allowedOrigins: readonly string[];
  /** The operator accepts serving a non-loopback address without a token. */
  readonly allowUnauthenticatedNetwork: boolean;
  readonly geminiApiKey: string | undefined;
  readonly geminiModel: string;
  readonly geminiBaseUrl: string | undefined;
  readonly reversePromptProvider: "auto" | "gemini" | "local";
  readonly workers: number;
  readonly maxUploadBytes: number;
  readonly maxImagePixels: number;
  readonly faceMatchThreshold: number;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** A face detector from models/models.json (default `fr_detect`). */
  readonly faceDetector: string | undefined;
  /** An object detector from models.json, an Ultralytics YOLO `.onnx` path, or `none`. */
  readonly objectDetector: string | undefined;
  /** Gemini calls in flight at most. */
  readonly geminiConcurrency: number;
  /** Time limit of one Gemini call, in milliseconds. */
  readonly geminiTimeoutMs: number;
  /** Retries of a Gemini call after a rate limit, an outage, a timeout or a bad answer. */
  readonly geminiMaxRetries: number;
  /** Time limit of one storyboard call to Gemini (a whole storyboard takes a while to write). */
  readonly storyboardTimeoutMs: number;
  /** Manifest jobs run at once (each one uses the whole worker pool). */
  readonly jobConcurrency: number;
  /** At most this many crops are extracted from one image. */
  readonly maxCropsPerImage: number;
  /** PostgreSQL URL shared by every instance; undefined: SQLite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /**
   * How long a job stays claimed without a heartbeat (renewed every third of it): with
   * several instances, a dead instance's job is taken over this long after its last beat.
   */
  readonly jobLeaseSeconds: number;
  /** Cells per contact sheet page; pages are numbered on from one another. */
  readonly contactSheetPageSize: number;
  /** The S3-compatible bucket blobs live in; null keeps them under `DATA_DIR`. */
  readonly s3: S3Config | null;
}

/** An S3-compatible bucket, from the `S3_*` variables. */
export interface S3Config {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `S3_REGION`, default `us-east-1` (what most S3-compatible servers expect). */
  readonly region: string;
}

/** Raised when an environment variable has an unusable value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Reads and validates the configuration.
 *
 * @param env The variables to read; defaults to the process environment.
 * @throws {ConfigError} naming every variable that is wrong and what it should be.
 */
export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    // Names and zod's messages only: a secret's value is never echoed into a log line.
    const problems = describeIssues(parsed.error.issues);
    throw new ConfigError(`Fix these environment variables: ${problems.join("; ")}.`);
  }
  const e = parsed.data;
  if (e.REVERSE_PROMPT_PROVIDER === "gemini" && !e.GEMINI_API_KEY) {
    throw new ConfigError(
      "REVERSE_PROMPT_PROVIDER is gemini but GEMINI_API_KEY is not set: set GEMINI_API_KEY, " +
        "or use REVERSE_PROMPT_PROVIDER=auto or local.",
    );
  }
  if (!isLoopbackAddress(e.HOST) && !e.AUTH_TOKEN && !e.ALLOW_UNAUTHENTICATED_NETWORK) {
    throw new ConfigError(
      `HOST=${e.HOST} may be reachable from other machines, and without AUTH_TOKEN anyone ` +
        "who reaches it could read and change every manifest: set AUTH_TOKEN (at least 8 " +
        "characters) to require a token, or bind HOST=127.0.0.1, or, if every machine on the " +
        "network is trusted, set ALLOW_UNAUTHENTICATED_NETWORK=1.",
    );
  }
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    authToken: e.AUTH_TOKEN,
    allowedHosts: Object.freeze(e.ALLOWED_HOSTS),
    allowedOrigins: Object.freeze(e.ALLOWED_ORIGINS),
    allowUnauthenticatedNetwork: e.ALLOW_UNAUTHENTICATED_NETWORK,
    geminiApiKey: e.GEMINI_API_KEY,
    geminiModel: e.GEMINI_MODEL,
    geminiBaseUrl: e.GEMINI_BASE_URL,
    reversePromptProvider: e.REVERSE_PROMPT_PROVIDER,
    workers: e.WORKERS ?? Math.max(1, navigator.hardwareConcurrency || 1),
    maxUploadBytes: Math.round(e.MAX_UPLOAD_MB * 1024 * 1024),
    maxImagePixels: e.MAX_IMAGE_PIXELS,
    faceMatchThreshold: e.FACE_MATCH_THRESHOLD,
    logLevel: e.LOG_LEVEL,
    faceDetector: e.FACE_DETECTOR,
    objectDetector: e.OBJECT_DETECTOR,
    geminiConcurrency: e.GEMINI_CONCURRENCY,
    geminiTimeoutMs: e.GEMINI_TIMEOUT_MS,
    geminiMaxRetries: e.GEMINI_MAX_RETRIES,
    storyboardTimeoutMs: e.STORYBOARD_TIMEOUT_MS,
    jobConcurrency: e.JOB_CONCURRENCY,
    maxCropsPerImage: e.MAX_CROPS_PER_IMAGE,
    databaseUrl: e.DATABASE_URL,
    jobLeaseSeconds: e.JOB_LEASE_SECONDS,
    contactSheetPageSize: e.CONTACT_SHEET_PAGE_SIZE,
    s3: s3From(e),
  });
}

/** The bucket the `S3_*` variables describe: all four required ones, or none at all. */
function s3From(e: z.infer<typeof EnvSchema>): S3Config | null {
  const required = {
    S3_ENDPOINT: e.S3_ENDPOINT,
    S3_BUCKET: e.S3_BUCKET,
    S3_ACCESS_KEY_ID: e.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: e.S3_SECRET_ACCESS_KEY,
  };
  const set = Object.entries({ ...required, S3_REGION: e.S3_REGION })
    .filter(([, value]) => value !== undefined).map(([name]) => name);
  if (set.length === 0) return null;
  const missing = Object.entries(required).filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new ConfigError(
      `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but ${missing.join(", ")} ` +
        `${missing.length === 1 ? "is" : "are"} not: blobs go to an S3 bucket only with ` +
        "S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY all set (S3_REGION " +
        "is optional); set the missing ones, or unset every S3_* variable to keep blobs under " +
        "DATA_DIR.",
    );
  }
  return Object.freeze({
    endpoint: e.S3_ENDPOINT!.replace(/\/+$/, ""),
    bucket: e.S3_BUCKET!,
    accessKeyId: e.S3_ACCESS_KEY_ID!,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
    region: e.S3_REGION ?? "us-east-1",
  });
}
