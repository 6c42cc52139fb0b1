import assert from "node:assert/strict";
import { Hono } from "hono";
import { handleError } from "../../http_errors.ts";
import { originCheck, ownOrigin } from "./index.ts";

const SERVICE = "http://127.0.0.1:8000";

/** An app whose handlers count the calls that got through. */
function appWith(allowedOrigins: readonly string[] = []) {
  const app = new Hono();
  const reached: string[] = [];
  app.onError(handleError);
  app.use(originCheck(allowedOrigins));
  app.all("/thing", (c) => {
    reached.push(c.req.method);
    return c.json({ ok: true });
  });
  const send = (method: string, headers: Record<string, string> = {}) =>
    app.request(`${SERVICE}/thing`, { method, headers: { host: "127.0.0.1:8000", ...headers } });
  return { send, reached };
}

Deno.test("ownOrigin is the request's scheme with its Host, normalized", () => {
  assert.equal(ownOrigin("http://127.0.0.1:8000/x", "127.0.0.1:8000"), SERVICE);
  assert.equal(ownOrigin("http://127.0.0.1:8000/x", "LocalHost:80"), "http://localhost");
  assert.equal(ownOrigin("http://127.0.0.1:8000/x", undefined), SERVICE);
  assert.equal(ownOrigin("http://127.0.0.1:8000/x", "[::1]:8000"), "http://[::1]:8000");
});

Deno.test("a foreign Origin on POST, PUT, PATCH and DELETE gets 403 and reaches nothing", async () => {
  const { send, reached } = appWith();
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    for (
      const origin of [
        "http://evil.example",
        "http://127.0.0.1:9000", // another port is another site
        "https://127.0.0.1:8000", // and so is another scheme
        "null", // sandboxed frames and file: pages
        "",
      ]
    ) {
      const response = await send(method, { origin });
      assert.equal(response.status, 403, `${method} from ${origin}`);
      const body = await response.json();
      assert.equal(body.error.code, "origin_not_allowed");
      assert.match(body.error.message, /ALLOWED_ORIGINS/);
      assert.match(body.error.message, /AUTH_TOKEN/);
      assert.equal(body.error.details.origin, origin);
      assert.equal(body.error.details.expected, SERVICE);
    }
  }
  assert.deepEqual(reached, []);
});

Deno.test("a WebSocket upgrade from a foreign Origin gets 403", async () => {
  const { send, reached } = appWith();
  const response = await send("GET", { origin: "http://evil.example", upgrade: "websocket" });
  assert.equal(response.status, 403);
  assert.match((await response.json()).error.message, /live updates/);
  assert.deepEqual(reached, []);
});

Deno.test("same-origin, Origin-less and read requests pass", async () => {
  const { send, reached } = appWith();
  const cases: [string, Record<string, string>][] = [
    ["POST", { origin: SERVICE }],
    ["DELETE", { origin: SERVICE }],
    ["GET", { origin: SERVICE, upgrade: "websocket" }],
    ["POST", {}], // curl and scripts send no Origin
    ["PUT", {}],
    ["GET", { upgrade: "websocket" }],
    ["GET", { origin: "http://evil.example" }], // a read: the page cannot see the answer
    ["HEAD", { origin: "http://evil.example" }],
    ["OPTIONS", { origin: "http://evil.example" }],
  ];
  for (const [method, headers] of cases) {
    const response = await send(method, headers);
    assert.equal(response.status, 200, `${method} ${JSON.stringify(headers)}`);
    await response.body?.cancel();
  }
  assert.equal(reached.length, cases.length);
  // The same page under another loopback name is its own origin.
  const viaLocalhost = await send("POST", {
    host: "localhost:8000",
    origin: "http://localhost:8000",
  });
  assert.equal(viaLocalhost.status, 200);
  await viaLocalhost.body?.cancel();
});

Deno.test("ALLOWED_ORIGINS entries pass, and only them", async () => {
  const { send } = appWith(["http://localhost:5173", "https://studio.example.org"]);
  for (const origin of ["http://localhost:5173", "https://studio.example.org"]) {
    const response = await send("POST", { origin });
    assert.equal(response.status, 200, origin);
    await response.body?.cancel();
  }
  for (const origin of ["http://localhost:5174", "http://studio.example.org"]) {
    const response = await send("POST", { origin });
    assert.equal(response.status, 403, origin);
    await response.body?.cancel();
  }
});
