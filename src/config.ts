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

/** The environment variables the service reads, with their defaults. */
export const EnvSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: blankIsUnset(intFrom(0, 65535).default(8000)),
  DATA_DIR: z.string().min(1).default("./data"),
  AUTH_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(8).optional()),
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
});

/** The validated, frozen configuration the rest of the service receives. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly authToken: string | undefined;
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
  /** At most this many crops are extracted from one image (SPEC §5.2). */
  readonly maxCropsPerImage: number;
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
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    dataDir: e.DATA_DIR,
    authToken: e.AUTH_TOKEN,
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
  });
}
