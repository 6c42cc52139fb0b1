import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

const SECRET = "AIzaSy-very-secret-gemini-key-0123456789";

/** The ConfigError `env` raises (fails the test when it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error;
  }
  assert.fail(`loadConfig(${JSON.stringify(Object.keys(env))}) did not throw`);
}

Deno.test("loadConfig({}) gives the documented offline defaults", () => {
  const config = loadConfig({});
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8000);
  assert.equal(config.dataDir, "./data");
  assert.equal(config.reversePromptProvider, "auto");
  assert.equal(config.faceMatchThreshold, 0.45);
  assert.equal(config.authToken, undefined);
  assert.equal(config.geminiApiKey, undefined);
  assert.equal(config.geminiBaseUrl, undefined);
  assert.equal(config.geminiModel, "gemini-2.5-flash");
  assert.equal(config.logLevel, "info");
  assert.equal(config.maxUploadBytes, 25 * 1024 * 1024);
  assert.equal(config.maxImagePixels, 50_000_000);
  assert.ok(Number.isInteger(config.workers) && config.workers >= 1, `workers ${config.workers}`);
});

Deno.test("loadConfig treats empty optional secrets as unset", () => {
  const config = loadConfig({
    AUTH_TOKEN: "",
    GEMINI_API_KEY: "",
    GEMINI_BASE_URL: "",
    WORKERS: "",
  });
  assert.equal(config.authToken, undefined);
  assert.equal(config.geminiApiKey, undefined);
  assert.equal(config.geminiBaseUrl, undefined);
  assert.ok(config.workers >= 1);
});

Deno.test("loadConfig parses every variable", () => {
  const config = loadConfig({
    HOST: "0.0.0.0",
    PORT: "9123",
    DATA_DIR: "/var/lib/studio",
    AUTH_TOKEN: "long-enough-token",
    GEMINI_API_KEY: SECRET,
    GEMINI_MODEL: "gemini-x",
    GEMINI_BASE_URL: "http://127.0.0.1:9999/v1",
    REVERSE_PROMPT_PROVIDER: "local",
    WORKERS: "3",
    MAX_UPLOAD_MB: "2.5",
    MAX_IMAGE_PIXELS: "1000000",
    FACE_MATCH_THRESHOLD: "0.6",
    LOG_LEVEL: "debug",
    FACE_DETECTOR: "blazeface_back_256",
    OBJECT_DETECTOR: "/models/yolo11n.onnx",
    JOB_CONCURRENCY: "3",
    MAX_CROPS_PER_IMAGE: "8",
    STORYBOARD_TIMEOUT_MS: "90000",
  });
  assert.deepEqual({ ...config }, {
    host: "0.0.0.0",
    port: 9123,
    dataDir: "/var/lib/studio",
    authToken: "long-enough-token",
    geminiApiKey: SECRET,
    geminiModel: "gemini-x",
    geminiBaseUrl: "http://127.0.0.1:9999/v1",
    reversePromptProvider: "local",
    workers: 3,
    maxUploadBytes: 2.5 * 1024 * 1024,
    maxImagePixels: 1_000_000,
    faceMatchThreshold: 0.6,
    logLevel: "debug",
    faceDetector: "blazeface_back_256",
    objectDetector: "/models/yolo11n.onnx",
    geminiConcurrency: 5,
    geminiTimeoutMs: 60_000,
    geminiMaxRetries: 3,
    storyboardTimeoutMs: 90_000,
    jobConcurrency: 3,
    maxCropsPerImage: 8,
  });
  assert.equal(loadConfig({ PORT: "0" }).port, 0);
  assert.equal(
    loadConfig({ REVERSE_PROMPT_PROVIDER: "gemini", GEMINI_API_KEY: SECRET }).reversePromptProvider,
    "gemini",
  );
  assert.throws(
    () => loadConfig({ REVERSE_PROMPT_PROVIDER: "gemini" }),
    (error: Error) => error instanceof ConfigError && /GEMINI_API_KEY/.test(error.message),
  );
});

Deno.test("loadConfig rejects a non-numeric or out-of-range PORT, naming it", () => {
  for (const port of ["abc", "-1", "65536", "80.5"]) {
    const error = configError({ PORT: port });
    assert.match(error.message, /\bPORT\b/, port);
  }
});

Deno.test("loadConfig rejects an unknown REVERSE_PROMPT_PROVIDER, naming it", () => {
  const error = configError({ REVERSE_PROMPT_PROVIDER: "foo" });
  assert.match(error.message, /REVERSE_PROMPT_PROVIDER/);
});

Deno.test("loadConfig rejects a too-short AUTH_TOKEN without echoing it", () => {
  const error = configError({ AUTH_TOKEN: "short7!" });
  assert.match(error.message, /AUTH_TOKEN/);
  assert.ok(!error.message.includes("short7!"), error.message);
  // Eight characters is the minimum.
  assert.equal(loadConfig({ AUTH_TOKEN: "8chars!!" }).authToken, "8chars!!");
});

Deno.test("loadConfig rejects other bad values, naming each variable", () => {
  const cases: [string, string][] = [
    ["WORKERS", "0"],
    ["WORKERS", "many"],
    ["FACE_MATCH_THRESHOLD", "1.5"],
    ["MAX_UPLOAD_MB", "0"],
    ["MAX_IMAGE_PIXELS", "-5"],
    ["LOG_LEVEL", "verbose"],
    ["GEMINI_BASE_URL", "not a url"],
  ];
  for (const [name, value] of cases) {
    assert.match(configError({ [name]: value }).message, new RegExp(name), `${name}=${value}`);
  }
});

Deno.test("loadConfig names every invalid variable at once", () => {
  const error = configError({ PORT: "abc", REVERSE_PROMPT_PROVIDER: "foo", AUTH_TOKEN: "x" });
  for (const name of ["PORT", "REVERSE_PROMPT_PROVIDER", "AUTH_TOKEN"]) {
    assert.match(error.message, new RegExp(name));
  }
});

Deno.test("a config error never contains the GEMINI_API_KEY value", () => {
  for (
    const env of [
      { GEMINI_API_KEY: SECRET, PORT: "abc" },
      { GEMINI_API_KEY: SECRET, REVERSE_PROMPT_PROVIDER: "foo", AUTH_TOKEN: "x" },
      { GEMINI_API_KEY: SECRET, GEMINI_BASE_URL: SECRET },
      { GEMINI_API_KEY: SECRET, LOG_LEVEL: SECRET },
    ]
  ) {
    const error = configError(env);
    assert.ok(!error.message.includes(SECRET), error.message);
    assert.ok(!String(error.stack).includes(SECRET));
  }
});

Deno.test("the returned config is frozen", () => {
  const config = loadConfig({});
  assert.ok(Object.isFrozen(config));
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
  assert.equal(config.port, 8000);
});

Deno.test("an empty numeric variable means unset, not 0", () => {
  const config = loadConfig({
    PORT: "",
    WORKERS: "",
    MAX_UPLOAD_MB: "",
    MAX_IMAGE_PIXELS: "",
    FACE_MATCH_THRESHOLD: "",
  });
  assert.equal(config.port, 8000);
  assert.equal(config.maxUploadBytes, 25 * 1024 * 1024);
  assert.equal(config.maxImagePixels, 50_000_000);
  assert.equal(config.faceMatchThreshold, 0.45);
  assert.ok(config.workers >= 1);
});
