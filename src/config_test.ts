import assert from "node:assert/strict";
import { ConfigError, isLoopbackAddress, loadConfig, originOf } from "./config.ts";

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
  assert.deepEqual(config.allowedHosts, []);
  assert.deepEqual(config.allowedOrigins, []);
  assert.equal(config.allowUnauthenticatedNetwork, false);
  assert.equal(config.geminiApiKey, undefined);
  assert.equal(config.geminiBaseUrl, undefined);
  assert.equal(config.geminiModel, "gemini-2.5-flash");
  assert.equal(config.logLevel, "info");
  assert.equal(config.maxUploadBytes, 25 * 1024 * 1024);
  assert.equal(config.maxImagePixels, 50_000_000);
  assert.equal(config.contactSheetPageSize, 48);
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
    ALLOWED_HOSTS: "studio.lan",
    ALLOWED_ORIGINS: "http://localhost:5173",
    ALLOW_UNAUTHENTICATED_NETWORK: "0",
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
    CONTACT_SHEET_PAGE_SIZE: "12",
    STORYBOARD_TIMEOUT_MS: "90000",
    S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com/",
    S3_BUCKET: "studio-blobs",
    S3_ACCESS_KEY_ID: "AKIAEXAMPLE",
    S3_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG",
    S3_REGION: "eu-west-1",
    DATABASE_URL: "postgres://studio@db.lan:5432/studio",
    JOB_LEASE_SECONDS: "12",
  });
  assert.deepEqual({ ...config }, {
    host: "0.0.0.0",
    port: 9123,
    dataDir: "/var/lib/studio",
    authToken: "long-enough-token",
    allowedHosts: ["studio.lan"],
    allowedOrigins: ["http://localhost:5173"],
    allowUnauthenticatedNetwork: false,
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
    contactSheetPageSize: 12,
    s3: {
      endpoint: "https://s3.eu-west-1.amazonaws.com",
      bucket: "studio-blobs",
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG",
      region: "eu-west-1",
    },
    databaseUrl: "postgres://studio@db.lan:5432/studio",
    jobLeaseSeconds: 12,
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
    ["CONTACT_SHEET_PAGE_SIZE", "0"],
    ["CONTACT_SHEET_PAGE_SIZE", "829"],
    ["CONTACT_SHEET_PAGE_SIZE", "12.5"],
    ["CONTACT_SHEET_PAGE_SIZE", "many"],
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

Deno.test("ALLOWED_HOSTS is a comma-separated list of host names, lower-cased", () => {
  const config = loadConfig({
    ALLOWED_HOSTS: " Studio.LAN , studio.lan:8000,,192.168.1.20, [fd00::2]:8000, .example.org, *",
  });
  assert.deepEqual(config.allowedHosts, [
    "studio.lan",
    "studio.lan:8000",
    "192.168.1.20",
    "[fd00::2]:8000",
    ".example.org",
    "*",
  ]);
  assert.ok(Object.isFrozen(config.allowedHosts));
  assert.deepEqual(loadConfig({ ALLOWED_HOSTS: "" }).allowedHosts, []);
  for (const bad of ["http://studio.lan", "studio.lan/x", "a b", "fd00::2", "*:8000"]) {
    const error = configError({ ALLOWED_HOSTS: bad });
    assert.match(error.message, /ALLOWED_HOSTS/, bad);
    assert.match(error.message, /studio\.lan:8000/, "the message shows what to write");
  }
});

Deno.test("ALLOWED_ORIGINS is a comma-separated list of origins, normalized", () => {
  const config = loadConfig({
    ALLOWED_ORIGINS: "http://LOCALHOST:5173/, https://studio.example.org:443,http://a.b:80",
  });
  assert.deepEqual(config.allowedOrigins, [
    "http://localhost:5173",
    "https://studio.example.org",
    "http://a.b",
  ]);
  for (const bad of ["localhost:5173", "http://a.b/path", "null", "*", "file:///tmp/x.html"]) {
    const error = configError({ ALLOWED_ORIGINS: bad });
    assert.match(error.message, /ALLOWED_ORIGINS/, bad);
    assert.match(error.message, /scheme:\/\/host\[:port\]/);
  }
  assert.equal(originOf("http://x.y:8000"), "http://x.y:8000");
  assert.equal(originOf("http://x.y:8000/?a"), null);
});

Deno.test("isLoopbackAddress knows localhost, 127.0.0.0/8 and ::1, nothing else", () => {
  for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) {
    assert.ok(isLoopbackAddress(host), host);
  }
  for (
    const host of ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.1", "studio.lan", "127.0.0.256"]
  ) {
    assert.ok(!isLoopbackAddress(host), host);
  }
});

Deno.test("a non-loopback HOST without AUTH_TOKEN refuses to start, naming AUTH_TOKEN", () => {
  for (const host of ["0.0.0.0", "::", "192.168.1.20", "studio.lan"]) {
    const error = configError({ HOST: host });
    assert.match(error.message, /AUTH_TOKEN/, host);
    assert.match(error.message, /ALLOW_UNAUTHENTICATED_NETWORK=1/, host);
    assert.match(error.message, new RegExp(`HOST=${host.replace(/\./g, "\\.")}`));
  }
  // An empty token is no token.
  assert.match(configError({ HOST: "0.0.0.0", AUTH_TOKEN: "" }).message, /AUTH_TOKEN/);
  assert.equal(loadConfig({ HOST: "0.0.0.0", AUTH_TOKEN: "long-enough" }).host, "0.0.0.0");
  assert.equal(loadConfig({ HOST: "localhost" }).host, "localhost");
  assert.equal(loadConfig({ HOST: "127.0.0.1" }).host, "127.0.0.1");
});

Deno.test("ALLOW_UNAUTHENTICATED_NETWORK opts out explicitly, and only with a clear yes", () => {
  for (const yes of ["1", "true", "TRUE", "yes", " Yes "]) {
    const config = loadConfig({ HOST: "0.0.0.0", ALLOW_UNAUTHENTICATED_NETWORK: yes });
    assert.equal(config.allowUnauthenticatedNetwork, true, yes);
    assert.equal(config.host, "0.0.0.0");
  }
  for (const no of ["0", "false", "no", ""]) {
    assert.equal(
      loadConfig({ ALLOW_UNAUTHENTICATED_NETWORK: no }).allowUnauthenticatedNetwork,
      false,
    );
    configError({ HOST: "0.0.0.0", ALLOW_UNAUTHENTICATED_NETWORK: no });
  }
  assert.match(
    configError({ ALLOW_UNAUTHENTICATED_NETWORK: "maybe" }).message,
    /ALLOW_UNAUTHENTICATED_NETWORK/,
  );
});

// ---- S3 ------------------------------------------------------------------------------------

const S3 = {
  S3_ENDPOINT: "http://127.0.0.1:7480",
  S3_BUCKET: "manifest-studio",
  S3_ACCESS_KEY_ID: "access",
  S3_SECRET_ACCESS_KEY: "s3-very-secret-key",
};

Deno.test("without S3_* variables blobs stay under DATA_DIR (s3 is null)", () => {
  assert.equal(loadConfig({}).s3, null);
  assert.equal(
    loadConfig({ S3_ENDPOINT: "", S3_BUCKET: "", S3_ACCESS_KEY_ID: "", S3_REGION: "" }).s3,
    null,
  );
});

Deno.test("the four required S3_* variables select a bucket; S3_REGION defaults to us-east-1", () => {
  assert.deepEqual(loadConfig(S3).s3, {
    endpoint: "http://127.0.0.1:7480",
    bucket: "manifest-studio",
    accessKeyId: "access",
    secretAccessKey: "s3-very-secret-key",
    region: "us-east-1",
  });
});

Deno.test("S3_* is all or none: a partial set names what is missing", () => {
  for (const missing of Object.keys(S3)) {
    const env: Record<string, string> = { ...S3 };
    delete env[missing];
    const error = configError(env);
    assert.match(error.message, new RegExp(`but ${missing} is not`), missing);
    assert.ok(!error.message.includes(S3.S3_SECRET_ACCESS_KEY), "the secret is not echoed");
  }
  const alone = configError({ S3_REGION: "eu-west-1" });
  assert.match(
    alone.message,
    /^S3_REGION is set but S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY are not/,
  );
  assert.match(alone.message, /unset every S3_\* variable to keep blobs under DATA_DIR/);
});

Deno.test("a malformed S3_ENDPOINT, S3_BUCKET or S3_REGION is refused, naming it", () => {
  for (
    const [name, value] of [
      ["S3_ENDPOINT", "127.0.0.1:7480"],
      ["S3_ENDPOINT", "ftp://example.org"],
      ["S3_BUCKET", "Upper_Case"],
      ["S3_BUCKET", "ab"],
      ["S3_BUCKET", "ends-with-dash-"],
      ["S3_REGION", "EU West"],
    ]
  ) {
    const error = configError({ ...S3, [name]: value });
    assert.match(error.message, new RegExp(`\\b${name}\\b`), `${name}=${value}`);
  }
});

Deno.test("DATABASE_URL selects PostgreSQL; a URL of another kind is refused, naming it", () => {
  assert.equal(loadConfig({}).databaseUrl, undefined, "SQLite by default");
  assert.equal(loadConfig({ DATABASE_URL: "" }).databaseUrl, undefined);
  for (const url of ["postgres://u:p@db:5432/studio", "postgresql://db/studio"]) {
    assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
  }
  const error = configError({ DATABASE_URL: "mysql://u:hunter2-secret@db/studio" });
  assert.match(error.message, /DATABASE_URL/);
  assert.match(error.message, /postgres:\/\//);
  assert.doesNotMatch(error.message, /hunter2-secret/, "the value is never echoed");
});

Deno.test("JOB_LEASE_SECONDS defaults to 30 and is bounded", () => {
  assert.equal(loadConfig({}).jobLeaseSeconds, 30);
  assert.equal(loadConfig({ JOB_LEASE_SECONDS: "3" }).jobLeaseSeconds, 3);
  assert.match(configError({ JOB_LEASE_SECONDS: "1" }).message, /JOB_LEASE_SECONDS/);
  assert.match(configError({ JOB_LEASE_SECONDS: "soon" }).message, /JOB_LEASE_SECONDS/);
});
