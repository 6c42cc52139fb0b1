/**
 * Probes: liveness, readiness with the loaded models, and which reverse-prompt provider runs.
 */
import assert from "node:assert/strict";
import { startTestServer } from "./_harness.ts";

Deno.test("/healthz and /readyz report the database, workers, models and provider", async () => {
  const server = await startTestServer();
  try {
    assert.deepEqual((await server.json("GET", "/healthz")).body, { status: "ok" });
    const ready = await server.json("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, "ready");
    assert.equal(ready.body.database, "ok");
    assert.deepEqual(ready.body.blob_store, { kind: "local", status: "ok" });
    assert.equal(ready.body.workers.size, 1);
    assert.ok(ready.body.workers.engines.includes("magick"));
    assert.deepEqual(ready.body.models, [
      "faces:fr_detect",
      "landmarks:fr_landmark",
      "embeddings:fr_feature",
      "objects:centernet",
    ]);
    assert.equal(ready.body.reverse_prompt_provider, "local");
    assert.equal(ready.body.storyboard_writer, null, "no key: no storyboards");
  } finally {
    await server.close();
  }
});

Deno.test("a Gemini key selects the gemini provider unless local is forced; the key is never shown", async () => {
  const key = "test-gemini-key-that-must-not-leak";
  for (const [provider, expected] of [["auto", "gemini"], ["local", "local"]] as const) {
    const server = await startTestServer({
      GEMINI_API_KEY: key,
      REVERSE_PROMPT_PROVIDER: provider,
    });
    try {
      const ready = await server.fetch("/readyz");
      const text = await ready.text();
      assert.equal(JSON.parse(text).reverse_prompt_provider, expected);
      assert.equal(JSON.parse(text).storyboard_writer, "gemini", "a key writes storyboards");
      assert.ok(!text.includes(key));
    } finally {
      await server.close();
    }
  }
});
