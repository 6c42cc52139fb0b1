import assert from "node:assert/strict";
import { Hono } from "hono";
import { AppError } from "../../../errors.ts";
import { setLogSink } from "../../../log.ts";
import { handleError, handleNotFound } from "../../http_errors.ts";
import { securityHeaders } from "./index.ts";

function app(): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use(securityHeaders());
  app.get("/json", (c) => c.json({ ok: true }));
  app.get("/page", (c) => c.html("<!doctype html><title>x</title>"));
  app.get("/refused", () => {
    throw new AppError("unauthorized", "Send the token.", { code: "token_missing" });
  });
  app.get("/broken", () => {
    throw new Error("boom");
  });
  return app;
}

/** Fails unless `response` carries every security header with the expected value. */
function assertSecurityHeaders(response: Response, what: string): void {
  const headers = response.headers;
  assert.equal(headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(headers.get("referrer-policy"), "no-referrer", what);
  assert.equal(headers.get("x-frame-options"), "DENY", what);
  const csp = headers.get("content-security-policy") ?? "";
  for (
    const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ]
  ) {
    assert.ok(csp.split("; ").includes(directive), `${what}: CSP ${csp} lacks ${directive}`);
  }
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), `${what}: ${csp}`);
  assert.equal(headers.get("strict-transport-security"), null, `${what}: no HSTS over HTTP`);
}

Deno.test("every answer carries the security headers: JSON, HTML, 401, 404, 500", async () => {
  const application = app();
  for (
    const [path, status] of [["/json", 200], ["/page", 200], ["/refused", 401], ["/nope", 404]]
  ) {
    const response = await application.request(String(path));
    assert.equal(response.status, status, String(path));
    assertSecurityHeaders(response, String(path));
    await response.body?.cancel();
  }
  const previous = setLogSink(() => {}); // The 500 is logged; that is not this test's concern.
  let broken: Response;
  try {
    broken = await application.request("/broken");
  } finally {
    setLogSink(previous);
  }
  assert.equal(broken.status, 500);
  assertSecurityHeaders(broken, "/broken");
  await broken.body?.cancel();
});

Deno.test("a 401 says how to authenticate in WWW-Authenticate", async () => {
  const response = await app().request("/refused");
  assert.equal(response.status, 401);
  assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer\b/);
  await response.body?.cancel();
});

Deno.test("a refused WebSocket upgrade still carries the headers", async () => {
  const response = await app().request("/nope", { headers: { upgrade: "websocket" } });
  assert.equal(response.status, 404);
  assertSecurityHeaders(response, "refused upgrade");
  await response.body?.cancel();
});
