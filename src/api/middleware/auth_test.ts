import assert from "node:assert/strict";
import { Hono } from "hono";
import { handleError } from "../http_errors.ts";
import { bearerAuth, presentedToken, timingSafeEqual } from "./auth.ts";

const TOKEN = "s3cret-token-value";

function appWith(token: string | undefined): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.use(bearerAuth(token));
  app.get("/thing", (c) => c.json({ ok: true }));
  return app;
}

async function errorCode(response: Response): Promise<string> {
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  const body = await response.json();
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  return body.error.code;
}

Deno.test("timingSafeEqual is true only for identical strings", () => {
  assert.equal(timingSafeEqual("abc", "abc"), true);
  assert.equal(timingSafeEqual(TOKEN, TOKEN), true);
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("abc", "abd"), false);
  assert.equal(timingSafeEqual("abc", "Abc"), false);
  assert.equal(timingSafeEqual("é", "e"), false);
});

Deno.test("timingSafeEqual is false for different lengths, including prefixes and empty", () => {
  assert.equal(timingSafeEqual("abc", "abcd"), false);
  assert.equal(timingSafeEqual("abcd", "abc"), false);
  assert.equal(timingSafeEqual(TOKEN, TOKEN.slice(0, -1)), false);
  assert.equal(timingSafeEqual("", "a"), false);
  assert.equal(timingSafeEqual("a", ""), false);
  assert.equal(timingSafeEqual("", TOKEN), false);
});

Deno.test("presentedToken reads a Bearer header, scheme case-insensitively", () => {
  assert.equal(presentedToken("Bearer abc123", undefined), "abc123");
  assert.equal(presentedToken("bearer abc123", undefined), "abc123");
  assert.equal(presentedToken("BEARER abc123", undefined), "abc123");
  assert.equal(presentedToken("  Bearer   abc123  ", undefined), "abc123");
});

Deno.test("presentedToken falls back to the query token and prefers the header", () => {
  assert.equal(presentedToken(undefined, "from-query"), "from-query");
  assert.equal(presentedToken("Bearer from-header", "from-query"), "from-header");
  // A header that is not a Bearer credential does not hide the query token.
  assert.equal(presentedToken("Basic dXNlcjpwYXNz", "from-query"), "from-query");
  assert.equal(presentedToken("Basic dXNlcjpwYXNz", undefined), null);
  assert.equal(presentedToken(undefined, undefined), null);
  assert.equal(presentedToken("Bearer", undefined), null);
});

Deno.test("without a configured token every request passes", async () => {
  const app = appWith(undefined);
  assert.equal((await app.request("/thing")).status, 200);
  const withJunk = await app.request("/thing?token=whatever", {
    headers: { authorization: "Bearer nonsense" },
  });
  assert.equal(withJunk.status, 200);
  assert.deepEqual(await withJunk.json(), { ok: true });
});

Deno.test("with a token, a request without one gets 401 token_missing", async () => {
  const response = await appWith(TOKEN).request("/thing");
  assert.equal(response.status, 401);
  assert.equal(await errorCode(response), "token_missing");
});

Deno.test("with a token, a wrong token gets 401 token_invalid", async () => {
  const app = appWith(TOKEN);
  for (
    const init of [
      { headers: { authorization: "Bearer wrong-token-value" } },
      { headers: { authorization: `Bearer ${TOKEN}x` } },
      { headers: { authorization: `Bearer ${TOKEN.slice(1)}` } },
    ]
  ) {
    const response = await app.request("/thing", init);
    assert.equal(response.status, 401);
    assert.equal(await errorCode(response), "token_invalid");
  }
  const viaQuery = await app.request("/thing?token=nope");
  assert.equal(viaQuery.status, 401);
  assert.equal(await errorCode(viaQuery), "token_invalid");
  // The header wins: a wrong header is refused even when the query token is right.
  const mixed = await app.request(`/thing?token=${TOKEN}`, {
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(mixed.status, 401);
  assert.equal(await errorCode(mixed), "token_invalid");
});

Deno.test("with a token, the right header or ?token= gets through", async () => {
  const app = appWith(TOKEN);
  const viaHeader = await app.request("/thing", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(viaHeader.status, 200);
  assert.deepEqual(await viaHeader.json(), { ok: true });
  const lowerScheme = await app.request("/thing", {
    headers: { authorization: `bearer ${TOKEN}` },
  });
  assert.equal(lowerScheme.status, 200);
  await lowerScheme.body?.cancel();
  const viaQuery = await app.request(`/thing?token=${encodeURIComponent(TOKEN)}`);
  assert.equal(viaQuery.status, 200);
  assert.deepEqual(await viaQuery.json(), { ok: true });
});

Deno.test("the 401 body does not echo the configured token", async () => {
  const app = appWith(TOKEN);
  for (const response of [await app.request("/thing"), await app.request("/thing?token=bad")]) {
    assert.equal(response.status, 401);
    assert.ok(!(await response.text()).includes(TOKEN));
  }
});

Deno.test("every 401 carries a Bearer challenge; a wrong token is called invalid_token", async () => {
  const app = appWith(TOKEN);
  const missing = await app.request("/thing");
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="Manifest Studio"');
  await missing.body?.cancel();
  const wrong = await app.request("/thing", { headers: { authorization: "Bearer nope-nope" } });
  assert.equal(wrong.status, 401);
  assert.equal(
    wrong.headers.get("www-authenticate"),
    'Bearer realm="Manifest Studio", error="invalid_token"',
  );
  await wrong.body?.cancel();
});
