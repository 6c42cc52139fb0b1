/**
 * The Gemini provider end to end: the real `@google/genai` SDK talks to a fake
 * Gemini server on 127.0.0.1 that can rate-limit, break, hang and refuse the key.
 */
import assert from "node:assert/strict";
import { initMagick } from "../src/imaging/magick_ops.ts";
import { setLogSink } from "../src/log.ts";
import { ImageMagick, MagickFormat } from "@imagemagick/magick-wasm";
import {
  B,
  defaultResponder,
  firstCallOfEachImage,
  forImage,
  startFakeGemini,
} from "./fakes/fake_gemini.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { fixturePhoto } from "./fixtures/photos.ts";
import { multipart, startTestServer } from "./_harness.ts";
import { DEMO_FILES, manifestWithPhotos, processAndWait } from "./_pipeline.ts";

// deno-lint-ignore no-explicit-any
type Any = Record<string, any>;

const KEY = "test-gemini-key-0123456789";

async function geminiServer(fakeUrl: string, env: Record<string, string> = {}) {
  return await startTestServer({
    WORKERS: "2",
    GEMINI_API_KEY: KEY,
    GEMINI_BASE_URL: fakeUrl,
    ...env,
  });
}

/** Runs `use` with a fake Gemini and a service pointed at it, then closes both. */
async function withGemini(
  options: Parameters<typeof startFakeGemini>[0],
  env: Record<string, string>,
  use: GeminiUse,
): Promise<void> {
  const fake = await startFakeGemini(options);
  const server = await geminiServer(fake.url, env);
  try {
    await use({ fake, server });
  } finally {
    await server.close();
    await fake.close();
  }
}

type GeminiUse = (parts: {
  fake: Awaited<ReturnType<typeof startFakeGemini>>;
  server: Awaited<ReturnType<typeof startTestServer>>;
}) => Promise<void>;

async function manifestOf(server: Awaited<ReturnType<typeof startTestServer>>, id: string) {
  return (await server.json("GET", `/api/manifests/${id}`)).body as Any;
}

Deno.test("six demo photos, a PNG and a WebP are described by Gemini with at most 5 calls in flight", async () => {
  await withGemini({ plan: B.slow(150) }, {}, async ({ fake, server }) => {
    const ready = await server.json("GET", "/readyz");
    assert.equal(ready.body.reverse_prompt_provider, "gemini");
    const { manifestId } = await manifestWithPhotos(server, DEMO_FILES);
    await initMagick();
    const png = await fixturePhoto("psmove.png");
    const webp = ImageMagick.read(
      await fixturePhoto("faces.jpg"),
      (image) => image.write(MagickFormat.WebP, (data) => data.slice()),
    );
    const extra = await server.fetch(`/api/manifests/${manifestId}/uploads`, {
      method: "POST",
      body: multipart(
        [{ name: "psmove.png", bytes: png, type: "image/png" }, {
          name: "faces.webp",
          bytes: webp,
          type: "image/webp",
        }],
        [["asset_type", "OBJECT"], ["asset_type", "ENVIRONMENT"]],
      ),
    });
    assert.equal(extra.status, 201, await extra.clone().text());
    await extra.body?.cancel();

    const final = await processAndWait(server, manifestId);
    assert.equal(final.status, "complete");
    assert.equal(final.provider, "gemini");
    const manifest = await manifestOf(server, manifestId);
    assert.equal(manifest.status, "READY");
    const assets: Any[] = manifest.assets;
    assert.equal(fake.requests.length, assets.length, "one call per asset");
    assert.ok(fake.maxInFlight <= 5, `max in flight ${fake.maxInFlight}`);
    assert.ok(fake.maxInFlight >= 2, "calls overlap");
    const byHash = new Map(fake.requests.map((r) => [r.imageHash, r]));
    for (const asset of assets) {
      assert.equal(asset.provider, "gemini");
      const bytes = new Uint8Array(
        await (await server.fetch(asset.reference_image_url)).arrayBuffer(),
      );
      const request = byHash.get(await sha256Hex(bytes))!;
      assert.ok(request, `Gemini saw the image of ${asset.name}`);
      assert.equal(request.images[0].mimeType, asset.mime);
      assert.equal(request.images[0].byteLength, bytes.length);
      assert.equal(request.apiKey, KEY);
      assert.equal(request.generationConfig.responseMimeType, "application/json");
      assert.deepEqual(
        Object.keys((request.generationConfig.responseJsonSchema as Any).properties).sort(),
        ["quality_score", "reverse_prompt", "suggested_name", "visual_description"],
      );
      assert.equal(request.generationConfig.temperature, 0.4);
      // What the fake answered is what the asset holds.
      const answered = defaultResponder(request);
      assert.equal(asset.reverse_prompt, answered.reverse_prompt);
      assert.equal(asset.visual_description, answered.visual_description);
      assert.equal(asset.quality_score, answered.quality_score);
      assert.deepEqual(asset.token_usage, {
        input_tokens: request.usage!.promptTokenCount,
        output_tokens: request.usage!.candidatesTokenCount,
      });
    }
    const mimes = new Set(fake.requests.map((r) => r.images[0].mimeType));
    for (const mime of ["image/jpeg", "image/png", "image/webp"]) assert.ok(mimes.has(mime), mime);
    const instructions = fake.requests.map((r) => r.prompt).join("\n");
    assert.match(instructions, /is a CHARACTER/);
    assert.match(instructions, /is an ENVIRONMENT/);
    assert.match(instructions, /OBJECT, PROP, VEHICLE or OTHER/);
    const sum = (key: "promptTokenCount" | "candidatesTokenCount") =>
      fake.requests.reduce((total, r) => total + r.usage![key], 0);
    assert.deepEqual(manifest.token_usage, {
      input_tokens: sum("promptTokenCount"),
      output_tokens: sum("candidatesTokenCount"),
    });
    assert.equal(final.progress.input_tokens, sum("promptTokenCount"));
  });
});

Deno.test("a 429 with Retry-After on every first call is waited out and every asset succeeds", async () => {
  await withGemini(
    {
      plan: firstCallOfEachImage(B.status(429, { retryAfter: 1 })),
    },
    {},
    async ({ fake, server }) => {
      const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg"]);
      const final = await processAndWait(server, manifestId);
      assert.equal(final.status, "complete");
      const assets: Any[] = (await manifestOf(server, manifestId)).assets;
      assert.ok(assets.every((a) => a.prompted_at && !a.prompt_error));
      const byImage = Map.groupBy(fake.requests, (r) => r.imageHash);
      assert.equal(byImage.size, assets.length);
      for (const calls of byImage.values()) {
        assert.deepEqual(calls.map((c) => c.status), [429, 200]);
        const waited = calls[1].receivedAt - calls[0].answeredAt!;
        assert.ok(waited >= 1000, `retried after ${waited} ms`);
      }
    },
  );
});

Deno.test("one asset always answered with malformed JSON gets a prompt_error; reprocessing fixes it", async () => {
  await withGemini({}, { GEMINI_MAX_RETRIES: "2" }, async ({ fake, server }) => {
    const { manifestId, uploadIds } = await manifestWithPhotos(server, ["sample2.jpg"]);
    const uploadBytes = new Uint8Array(
      await (await server.fetch(`/api/assets/${uploadIds[0]}/image`)).arrayBuffer(),
    );
    fake.setPlan(forImage(await sha256Hex(uploadBytes), B.malformed()));
    const final = await processAndWait(server, manifestId);
    assert.equal(final.status, "complete");
    assert.equal(final.progress.prompt_errors, 1);
    const manifest = await manifestOf(server, manifestId);
    assert.equal(manifest.status, "READY");
    for (const asset of manifest.assets as Any[]) {
      if (asset.id === uploadIds[0]) {
        assert.match(asset.prompt_error, /not valid JSON \(3 attempts\)/);
        assert.equal(asset.prompted_at, null);
      } else {
        assert.equal(asset.prompt_error, null);
        assert.ok(asset.prompted_at);
      }
    }
    fake.setPlan(B.ok());
    const fixed = await server.json("POST", `/api/assets/${uploadIds[0]}/reprocess`);
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.prompt_error, null);
    assert.equal(fixed.body.provider, "gemini");
    assert.ok(fixed.body.reverse_prompt.length > 0);
  });
});

Deno.test("a refused key stops the job at once, names GEMINI_API_KEY, and never shows the key", async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  // The fake echoes the key in its error, as a careless proxy might: it must still not leak.
  try {
    await withGemini(
      {
        plan: B.status(401, { message: `API key ${KEY} not valid. Please pass a valid API key.` }),
      },
      { LOG_LEVEL: "debug" },
      async ({ fake, server }) => {
        const { manifestId } = await manifestWithPhotos(server, DEMO_FILES.slice(0, 3));
        const started = performance.now();
        const final = await processAndWait(server, manifestId);
        const seconds = (performance.now() - started) / 1000;
        assert.equal(final.status, "error");
        assert.match(final.error, /GEMINI_API_KEY/);
        assert.ok(seconds < 15, `ended after ${seconds.toFixed(1)} s`);
        assert.ok(fake.requests.length <= 5, `${fake.requests.length} requests`);
        const manifest = await manifestOf(server, manifestId);
        assert.equal(manifest.status, "ERROR");
        assert.match(manifest.error, /GEMINI_API_KEY/);

        const responses = [
          JSON.stringify(manifest),
          JSON.stringify(final),
          JSON.stringify((await server.json("GET", "/api/jobs")).body),
          JSON.stringify((await server.json("GET", "/readyz")).body),
          JSON.stringify((await server.json("GET", "/openapi.json")).body),
        ];
        for (const text of [...responses, ...lines]) {
          assert.ok(!text.includes(KEY), text.slice(0, 200));
        }
        assert.ok(lines.length > 0, "logs were captured");
      },
    );
  } finally {
    setLogSink(previous);
  }
});

Deno.test("a Gemini that never answers times out, is retried within bounds, and the job ends", async () => {
  const env = { GEMINI_TIMEOUT_MS: "400", GEMINI_MAX_RETRIES: "2" };
  await withGemini({ plan: firstCallOfEachImage(B.hang()) }, env, async ({ fake, server }) => {
    const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg"]);
    const final = await processAndWait(server, manifestId);
    assert.equal(final.status, "complete");
    const assets: Any[] = (await manifestOf(server, manifestId)).assets;
    assert.ok(assets.every((a) => a.prompted_at && !a.prompt_error));
    for (const calls of Map.groupBy(fake.requests, (r) => r.imageHash).values()) {
      assert.equal(calls.length, 2);
      assert.equal(calls[0].clientAborted, true, "the hanging call was abandoned");
      const retriedAfter = calls[1].receivedAt - calls[0].receivedAt;
      assert.ok(retriedAfter >= 400 && retriedAfter < 5000, `retried after ${retriedAfter} ms`);
    }

    // Never answering at all: every asset gives up after its retries and the job still ends.
    fake.setPlan(B.hang());
    const { manifestId: stuck } = await manifestWithPhotos(server, ["sample4.jpg"], "Stuck");
    const ended = await processAndWait(server, stuck);
    assert.equal(ended.status, "error");
    assert.match(ended.error, /GEMINI_TIMEOUT_MS/);
    const stuckAssets: Any[] = (await manifestOf(server, stuck)).assets;
    assert.ok(stuckAssets.every((a) => /did not answer within 400 ms/.test(a.prompt_error)));
  });
});
