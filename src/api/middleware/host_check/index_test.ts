import assert from "node:assert/strict";
import { Hono } from "hono";
import { handleError } from "../../http_errors.ts";
import { hostCheck, hostMatches, splitHost } from "./index.ts";

function appWith(allowedHosts: readonly string[] = []): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.use(hostCheck(allowedHosts));
  app.get("/thing", (c) => c.json({ ok: true }));
  app.post("/thing", (c) => c.json({ ok: true }, 201));
  return app;
}

function withHost(host: string, method = "GET"): RequestInit {
  return { method, headers: { host } };
}

Deno.test("splitHost reads name, port and bracketed IPv6, in lower case", () => {
  assert.deepEqual(splitHost("localhost"), { hostname: "localhost", port: null });
  assert.deepEqual(splitHost("LocalHost:8000"), { hostname: "localhost", port: "8000" });
  assert.deepEqual(splitHost("[::1]:8000"), { hostname: "[::1]", port: "8000" });
  assert.deepEqual(splitHost("[::1]"), { hostname: "[::1]", port: null });
  assert.deepEqual(splitHost("192.168.1.20:80"), { hostname: "192.168.1.20", port: "80" });
  for (const bad of ["", "a b", "::1", "host:port", "a/b", "user@host", "[::1"]) {
    assert.equal(splitHost(bad), null, bad);
  }
});

Deno.test("hostMatches: exact names on any port, name:port, .domain and *", () => {
  const at = (host: string) => splitHost(host)!;
  assert.ok(hostMatches("studio.lan", at("studio.lan"), "80"));
  assert.ok(hostMatches("studio.lan", at("studio.lan:8000"), "80"));
  assert.ok(!hostMatches("studio.lan", at("studio.lan.evil.example"), "80"));
  assert.ok(hostMatches("studio.lan:8000", at("studio.lan:8000"), "80"));
  assert.ok(!hostMatches("studio.lan:8000", at("studio.lan:9000"), "80"));
  assert.ok(hostMatches("studio.lan:80", at("studio.lan"), "80"), "no port means the default");
  assert.ok(hostMatches(".example.org", at("example.org"), "80"));
  assert.ok(hostMatches(".example.org", at("studio.example.org:8000"), "80"));
  assert.ok(!hostMatches(".example.org", at("badexample.org"), "80"));
  assert.ok(hostMatches("*", at("anything.example"), "80"));
});

Deno.test("loopback names pass on any port, and so does a request without Host", async () => {
  const app = appWith();
  for (
    const host of ["localhost", "localhost:8000", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8000"]
  ) {
    assert.equal((await app.request("/thing", withHost(host))).status, 200, host);
  }
  for (const host of ["[::1]", "[::1]:8000"]) {
    assert.equal((await app.request("/thing", withHost(host))).status, 200, host);
  }
  // app.request() sends no Host; no browser ever omits it.
  assert.equal((await app.request("/thing")).status, 200);
});

Deno.test("a foreign Host gets 403 host_not_allowed naming ALLOWED_HOSTS, for reads and writes", async () => {
  const app = appWith();
  const foreign = [
    "evil.example",
    "evil.example:8000",
    "localhost.evil.example",
    "127.0.0.1.nip.io:8000",
    "192.168.1.20:8000",
    "0.0.0.0:8000",
    "bad host",
  ];
  for (const host of foreign) {
    for (const method of ["GET", "POST"]) {
      const response = await app.request("/thing", withHost(host, method));
      assert.equal(response.status, 403, `${method} ${host}`);
      const body = await response.json();
      assert.equal(body.error.code, "host_not_allowed");
      assert.match(body.error.message, /ALLOWED_HOSTS/);
      assert.match(body.error.message, /AUTH_TOKEN/);
      assert.equal(body.error.details.host, host);
    }
  }
});

Deno.test("ALLOWED_HOSTS entries pass, and only them", async () => {
  const app = appWith(["studio.lan", "10.0.0.5:8000", ".example.org"]);
  for (const host of ["studio.lan", "studio.lan:8000", "10.0.0.5:8000", "a.example.org:1"]) {
    assert.equal((await app.request("/thing", withHost(host))).status, 200, host);
  }
  for (const host of ["evil.example", "10.0.0.5:9000", "studio.lan.evil.example"]) {
    const response = await app.request("/thing", withHost(host));
    assert.equal(response.status, 403, host);
    await response.body?.cancel();
  }
  const everyone = appWith(["*"]);
  assert.equal((await everyone.request("/thing", withHost("evil.example"))).status, 200);
});
