/**
 * The fake Gemini server against the REAL `@google/genai@3.1.0` SDK. These tests also pin down
 * how the SDK behaves, for the Gemini provider (measured here, read in dist/node/index.mjs):
 *
 * - Errors: a non-2xx answer throws `ApiError` (exported by `@google/genai`; `name ===
 *   "ApiError"`) with `.status` (the HTTP status, number) and `.message` = `JSON.stringify` of
 *   the error body, i.e. `{"error":{"code","message","status","details"}}`. It has NO headers:
 *   `Retry-After` cannot be read from the error. Two ways to get it: (a) parse `.message` and
 *   read `error.details[]` `{"@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay:
 *   "1s"}` (what the real Gemini sends on 429, and what this fake sends too); (b) pass a
 *   wrapping `fetch` in the per-call `config.httpOptions.fetch` (functions survive the per-call
 *   option merge) and keep the `Response.headers` it saw.
 * - Successful answers carry `response.usageMetadata` {promptTokenCount, candidatesTokenCount,
 *   totalTokenCount, (thoughtsTokenCount, cachedContentTokenCount… when the server sends
 *   them)}, plus `modelVersion`, `responseId` and `sdkHttpResponse.headers`.
 * - Retries: NONE by default (one request for a 429/503). Only when `httpOptions.retryOptions`
 *   is set (client-wide or per call) does it retry (p-retry; default 5 attempts, 1 s initial,
 *   ×2, jitter, on 408/429/500/502/503/504) — and it ignores `Retry-After`.
 * - Timeouts: both `httpOptions.timeout` (ms; client-wide or per call in
 *   `config.httpOptions`) and `config.abortSignal` abort a hanging call with a `DOMException`
 *   named `"AbortError"` ("The signal has been aborted"). `timeout` also sends the header
 *   `X-Server-Timeout: <ceil(s)>`. `timeout` bounds each attempt, not the whole call: with
 *   `retryOptions` a timed-out attempt is retried; an aborted `config.abortSignal` stops retries.
 * - Invalid key: the fake answers 401 UNAUTHENTICATED as asked, but the real Gemini API answers
 *   a bad key with 400 INVALID_ARGUMENT and `details[]` ErrorInfo `reason: "API_KEY_INVALID"`
 *   (the fake adds that detail to any error whose message starts with "API key not valid").
 *
 * @module
 */
import assert from "node:assert/strict";
import { ApiError, GoogleGenAI, type HttpOptions } from "@google/genai";
import {
  B,
  defaultResponder,
  type FakeGemini,
  firstCallOfEachImage,
  forImage,
  startFakeGemini,
} from "./fake_gemini.ts";
import { sha256Hex } from "../../src/storage/sha256.ts";

const MODEL = "gemini-2.5-flash";
const PNG = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3, 4, 5]);
const WEBP = Uint8Array.from([82, 73, 70, 70, 0, 0, 0, 0, 87, 69, 66, 80, 9]);
const SCHEMA = {
  type: "object",
  properties: {
    reverse_prompt: { type: "string" },
    visual_description: { type: "string" },
    quality_score: { type: "number", minimum: 0, maximum: 10 },
    suggested_name: { type: "string" },
  },
  required: ["reverse_prompt", "visual_description", "quality_score"],
};

const b64 = (bytes: Uint8Array) => bytes.toBase64();
const client = (fake: FakeGemini, http: HttpOptions = {}) =>
  new GoogleGenAI({
    apiKey: "test-key-123",
    httpOptions: { baseUrl: fake.url, apiVersion: "v1beta", ...http },
  });
const ask = (ai: GoogleGenAI, image = PNG, mimeType = "image/png", config = {}) =>
  ai.models.generateContent({
    model: MODEL,
    contents: [{
      role: "user",
      parts: [{ text: "Describe this image." }, { inlineData: { mimeType, data: b64(image) } }],
    }],
    config: {
      responseMimeType: "application/json",
      responseJsonSchema: SCHEMA,
      temperature: 0.4,
      ...config,
    },
  });

/** The error `p` rejects with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}
/** The `ApiError` `p` rejects with. */
async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await rejection(p);
  assert.ok(e instanceof ApiError, `expected ApiError, got ${e}`);
  return e;
}

/** Runs `fn` with a fresh fake and always closes it. */
function withFake(name: string, fn: (fake: FakeGemini) => Promise<void>) {
  Deno.test(`fake gemini: ${name}`, async () => {
    const fake = await startFakeGemini();
    try {
      await fn(fake);
    } finally {
      await fake.close();
    }
  });
}

/** Waits until `cond()` holds (the fake notices a client abort a moment after the client). */
async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

withFake("ok answer, usageMetadata and the recorded request", async (fake) => {
  const res = await ask(client(fake));
  const [req] = fake.requests;
  assert.deepEqual(JSON.parse(res.text!), defaultResponder(req));
  assert.deepEqual(res.usageMetadata, req.usage);
  assert.deepEqual(
    res.usageMetadata!.totalTokenCount,
    258 + 5 + res.usageMetadata!.candidatesTokenCount!,
  );
  assert.deepEqual(res.modelVersion, MODEL);
  assert.deepEqual([req.apiVersion, req.model, req.apiKey, req.status], [
    "v1beta",
    MODEL,
    "test-key-123",
    200,
  ]);
  assert.deepEqual(req.images, [{
    mimeType: "image/png",
    byteLength: PNG.length,
    sha256: await sha256Hex(PNG),
  }]);
  assert.deepEqual(req.imageHash, await sha256Hex(PNG));
  assert.deepEqual(req.prompt, "Describe this image.");
  assert.deepEqual(req.generationConfig.responseMimeType, "application/json");
  assert.deepEqual(req.generationConfig.responseJsonSchema, SCHEMA);
  assert.deepEqual(req.generationConfig.temperature, 0.4);
  assert(JSON.parse(res.text!).reverse_prompt.includes(`image/png image of ${PNG.length} bytes`));

  fake.setResponder((r) => ({ echo: r.images[0].mimeType }));
  const webp = await ask(client(fake), WEBP, "image/webp");
  assert.deepEqual(JSON.parse(webp.text!), { echo: "image/webp" });
  assert.deepEqual(fake.requests[1].images[0].byteLength, WEBP.length);

  const large = new Uint8Array(4 << 20).map((_, i) => Math.imul(i, 2654435761) >>> 24); // 4 MiB
  await ask(client(fake), large, "image/jpeg");
  assert.deepEqual(fake.requests[2].images[0], {
    mimeType: "image/jpeg",
    byteLength: large.length,
    sha256: await sha256Hex(large),
  });
});

withFake("429 with Retry-After: ApiError with status, no headers, no SDK retry", async (fake) => {
  fake.setPlan(B.status(429, { retryAfter: 1 }));
  const err = await apiError(ask(client(fake)));
  assert.deepEqual(err.status, 429);
  assert.deepEqual(err.name, "ApiError");
  assert(!("headers" in err));
  const body = JSON.parse(err.message);
  assert.deepEqual(body.error.status, "RESOURCE_EXHAUSTED");
  assert.deepEqual(body.error.details[0].retryDelay, "1s");
  assert.deepEqual(fake.requests.length, 1, "the SDK does not retry by default");

  // Retry-After itself is reachable through a per-call fetch wrapper.
  let seen: Headers | undefined;
  const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    const r = await globalThis.fetch(url, init);
    seen = r.headers;
    return r;
  };
  await apiError(ask(client(fake), PNG, "image/png", { httpOptions: { fetch } }));
  assert.deepEqual(seen?.get("retry-after"), "1");
});

withFake("401, 403, 404, 500: status and Gemini error body", async (fake) => {
  for (
    const [status, word] of [[401, "UNAUTHENTICATED"], [403, "PERMISSION_DENIED"], [
      404,
      "NOT_FOUND",
    ], [500, "INTERNAL"]] as const
  ) {
    fake.setPlan(B.status(status));
    const err = await apiError(ask(client(fake)));
    assert.deepEqual(err.status, status);
    assert.deepEqual(JSON.parse(err.message).error.status, word);
  }
  assert.deepEqual(fake.requests.length, 4);
  fake.setPlan(B.status(401));
  const err = await apiError(ask(client(fake)));
  const { error } = JSON.parse(err.message);
  assert.equal(error.message, "API key not valid. Please pass a valid API key.");
  assert.equal(error.details[0].reason, "API_KEY_INVALID");
});

withFake("SDK retries only with httpOptions.retryOptions", async (fake) => {
  fake.setPlan(B.status(503));
  await apiError(ask(client(fake)));
  assert.deepEqual(fake.requests.length, 1);
  fake.reset();
  fake.setPlan(B.status(503));
  const retrying = client(fake, {
    retryOptions: { attempts: 3, initialDelay: 0.02, maxDelay: 0.05 },
  });
  const err = await apiError(ask(retrying));
  assert.deepEqual([err.status, fake.requests.length], [503, 3]);
  fake.reset();
  fake.setPlan(B.hang());
  const timed = client(fake, { timeout: 100, retryOptions: { attempts: 2, initialDelay: 0.02 } });
  assert.equal((await rejection(ask(timed))).name, "AbortError");
  assert.equal(fake.requests.length, 2, "a timed-out attempt is retried");
});

withFake("hang: httpOptions.timeout and config.abortSignal both abort", async (fake) => {
  fake.setPlan(B.hang());
  let t = Date.now();
  const e1 = await rejection(ask(client(fake, { timeout: 200 })));
  assert.deepEqual((e1 as Error).name, "AbortError");
  assert(Date.now() - t < 1500);
  t = Date.now();
  const signal = AbortSignal.timeout(200);
  const e2 = await rejection(ask(client(fake), PNG, "image/png", { abortSignal: signal }));
  assert.deepEqual((e2 as Error).name, "AbortError");
  const e3 = await rejection(
    ask(client(fake), PNG, "image/png", { httpOptions: { timeout: 200 } }),
  );
  assert.deepEqual((e3 as Error).name, "AbortError");
  assert(Date.now() - t < 3000);
  // The fake notices each hang-up (through its TCP relay) and stops counting it in flight.
  await until(() => fake.inFlight === 0);
  assert(fake.requests.every((r) => r.clientAborted && r.status === undefined));
});

withFake("malformed and schema-violating text", async (fake) => {
  fake.setPlan(B.malformed());
  const bad = await ask(client(fake));
  let parsed = true;
  try {
    JSON.parse(bad.text!);
  } catch {
    parsed = false;
  }
  assert(!parsed, "malformed text must not parse");
  fake.setPlan(B.schemaViolation());
  const half = JSON.parse((await ask(client(fake))).text!);
  assert.deepEqual(half.quality_score, 42);
  assert(!("visual_description" in half));
});

withFake("plans target one image and the first call of each image", async (fake) => {
  const ai = client(fake);
  fake.setPlan(firstCallOfEachImage(B.status(429, { retryAfter: 1 })));
  for (const img of [PNG, WEBP]) {
    await apiError(ask(ai, img));
    await ask(ai, img);
  }
  assert.deepEqual(fake.requests.map((r) => r.status), [429, 200, 429, 200]);
  fake.setPlan(forImage(await sha256Hex(WEBP), B.malformed()));
  assert.deepEqual(
    JSON.parse((await ask(ai, PNG)).text!).quality_score,
    defaultResponder(fake.requests[4]).quality_score,
  );
  assert((await ask(ai, WEBP)).text!.startsWith("Sure!"));
  fake.setPlan((_r, _nth, overall) => overall === 7 ? B.status(500) : B.ok({ n: overall }));
  await apiError(ask(ai));
  assert.deepEqual(JSON.parse((await ask(ai)).text!), { n: 8 });
});

withFake("in-flight counting, slow answers, /v1 and ?key=", async (fake) => {
  fake.setPlan(B.slow(150));
  const t = Date.now();
  await Promise.all([PNG, WEBP, PNG, WEBP].map((img) => ask(client(fake), img)));
  assert.ok(Date.now() - t >= 150);
  assert.deepEqual([fake.maxInFlight, fake.inFlight], [4, 0]);
  assert(fake.requests.every((r) => r.answeredAt! - r.receivedAt >= 140));
  fake.reset();
  const res = await fetch(`${fake.url}/v1/models/${MODEL}:generateContent?key=qk`, {
    method: "POST",
    body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
  });
  assert.deepEqual(res.status, 200);
  await res.body?.cancel();
  assert.deepEqual([fake.requests[0].apiVersion, fake.requests[0].apiKey], ["v1", "qk"]);
});

Deno.test("fake gemini: close() releases hanging requests", async () => {
  const fake = await startFakeGemini({ plan: B.hang() });
  const pending = ask(client(fake)).then(() => "answered", (e) => `rejected ${e.status}`);
  await until(() => fake.inFlight === 1);
  const t = Date.now();
  await fake.close();
  assert(Date.now() - t < 1000);
  assert.deepEqual(await pending, "rejected 503");
});
