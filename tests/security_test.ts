/**
 * Acceptance: a workstation service is safe from the web pages its user visits. Without
 * AUTH_TOKEN it answers only loopback names (and ALLOWED_HOSTS), and refuses writes and
 * WebSocket upgrades from other sites' pages (unless in ALLOWED_ORIGINS); every answer
 * carries the security headers; with AUTH_TOKEN the token is the guard instead.
 */
import assert from "node:assert/strict";
import { fixturePhoto } from "./fixtures/photos.ts";
import { multipart, startTestServer, type TestServer } from "./_harness.ts";

const EVIL = "http://evil.example";

/** A raw HTTP/1.1 answer: `fetch` always sends the Host of the URL, so tests that choose it
 * write the request themselves. */
interface RawReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Sends `method path` to the server with exactly these headers (Host included). */
async function rawRequest(
  serverUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawReply> {
  const { hostname, port } = new URL(serverUrl);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const head = [`${method} ${path} HTTP/1.1`, "Connection: close"];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  if (method !== "GET") head.push("Content-Length: 0");
  await conn.write(new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n`));
  const text = await new Response(conn.readable).text();
  const [top, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...headerLines] = top.split("\r\n");
  const replyHeaders = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    replyHeaders.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    headers: replyHeaders,
    body: rest.join("\r\n\r\n"),
  };
}

/** Fails unless the answer carries the security headers. */
function assertSecurityHeaders(headers: Headers, what: string): void {
  assert.equal(headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(headers.get("referrer-policy"), "no-referrer", what);
  assert.equal(headers.get("x-frame-options"), "DENY", what);
  const csp = headers.get("content-security-policy") ?? "";
  assert.match(csp, /(^|; )default-src 'self'(;|$)/, `${what}: ${csp}`);
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: ${csp}`);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, `${what}: ${csp}`);
}

/** Status and error code of a JSON reply, consuming its body. */
async function outcome(response: Response): Promise<{ status: number; code: string | null }> {
  const text = await response.text();
  const body = text && response.headers.get("content-type")?.includes("json")
    ? JSON.parse(text)
    : null;
  return { status: response.status, code: body?.error?.code ?? null };
}

/** How a WebSocket attempt ended: "open" (then closed by the test) or "refused". */
function tryWebSocket(url: string, origin?: string): Promise<"open" | "refused"> {
  const socket = origin === undefined
    ? new WebSocket(url)
    : new WebSocket(url, { headers: { origin } });
  return new Promise((resolve) => {
    socket.onopen = () => {
      socket.onclose = () => resolve("open");
      socket.close();
    };
    socket.onerror = () => {};
    socket.onclose = () => resolve("refused");
  });
}

async function manifestNames(server: TestServer): Promise<string[]> {
  const list = await server.json("GET", "/api/manifests");
  assert.equal(list.status, 200);
  return list.body.items.map((m: { name: string }) => m.name).sort();
}

Deno.test("without AUTH_TOKEN: Host and Origin checks, headers on every answer", async (t) => {
  const server = await startTestServer({
    ALLOWED_HOSTS: "studio.lan",
    ALLOWED_ORIGINS: "http://localhost:5173",
  });
  const port = new URL(server.url).port;
  try {
    await t.step("a foreign Host is refused on the API and the dashboard", async () => {
      for (const path of ["/", "/index.html", "/js/app.js", "/api/manifests", "/healthz"]) {
        for (const host of ["evil.example", `evil.example:${port}`, `10.0.0.9:${port}`]) {
          const reply = await rawRequest(server.url, "GET", path, { Host: host });
          assert.equal(reply.status, 403, `${path} as ${host}`);
          assert.equal(JSON.parse(reply.body).error.code, "host_not_allowed");
          assert.match(JSON.parse(reply.body).error.message, /ALLOWED_HOSTS/);
          assertSecurityHeaders(reply.headers, `403 for ${host}`);
        }
      }
      const write = await rawRequest(server.url, "POST", "/api/manifests", {
        Host: "evil.example",
        "Content-Type": "application/json",
      });
      assert.equal(write.status, 403);
    });

    await t.step("loopback names and ALLOWED_HOSTS entries pass", async () => {
      for (
        const host of [
          `127.0.0.1:${port}`,
          `localhost:${port}`,
          `[::1]:${port}`,
          "localhost",
          `studio.lan:${port}`,
          "studio.lan",
        ]
      ) {
        for (const path of ["/", "/api/manifests"]) {
          const reply = await rawRequest(server.url, "GET", path, { Host: host });
          assert.equal(reply.status, 200, `${path} as ${host}`);
          assertSecurityHeaders(reply.headers, `${path} as ${host}`);
        }
      }
    });

    await t.step("a foreign Origin creates, changes and deletes nothing", async () => {
      const created = await server.json("POST", "/api/manifests", { name: "Cast" });
      assert.equal(created.status, 201);
      const id = created.body.id;
      const before = await manifestNames(server);
      const blobsBefore = await server.listBlobs();
      const foreign = { origin: EVIL, "content-type": "application/json" };
      const attempts: [string, string, BodyInit | null][] = [
        ["POST", "/api/manifests", JSON.stringify({ name: "Planted" })],
        ["POST", `/api/manifests/${id}/assets`, JSON.stringify({ name: "Planted" })],
        ["PUT", `/api/manifests/${id}`, JSON.stringify({ name: "Renamed" })],
        ["PATCH", `/api/manifests/${id}`, JSON.stringify({ name: "Renamed" })],
        ["DELETE", `/api/manifests/${id}`, null],
        ["POST", `/api/manifests/${id}/process`, null],
      ];
      for (const [method, path, body] of attempts) {
        const result = await outcome(await server.fetch(path, { method, headers: foreign, body }));
        assert.deepEqual(result, { status: 403, code: "origin_not_allowed" }, `${method} ${path}`);
      }
      const upload = await server.fetch(`/api/manifests/${id}/uploads`, {
        method: "POST",
        headers: { origin: EVIL },
        body: multipart([{ name: "faces.jpg", bytes: await fixturePhoto("faces.jpg") }]),
      });
      assert.deepEqual(await outcome(upload), { status: 403, code: "origin_not_allowed" });

      assert.deepEqual(await manifestNames(server), before);
      const manifest = await server.json("GET", `/api/manifests/${id}`);
      assert.equal(manifest.status, 200, "still there");
      assert.equal(manifest.body.name, "Cast");
      assert.equal(manifest.body.assets.length, 0);
      assert.equal(server.countRows("jobs"), 0);
      assert.deepEqual(await server.listBlobs(), blobsBefore);
    });

    await t.step("same-origin, Origin-less and ALLOWED_ORIGINS requests work", async () => {
      for (const origin of [server.url, "http://localhost:5173", undefined]) {
        const headers: Record<string, string> = origin ? { origin } : {};
        const created = await server.json("POST", "/api/manifests", { name: `From ${origin}` }, {
          ...headers,
        });
        assert.equal(created.status, 201, String(origin));
        const id = created.body.id;
        const upload = await server.fetch(`/api/manifests/${id}/uploads`, {
          method: "POST",
          headers,
          body: multipart([{ name: "faces.jpg", bytes: await fixturePhoto("faces.jpg") }]),
        });
        assert.equal(upload.status, 201, await upload.text());
        const renamed = await server.json("PUT", `/api/manifests/${id}`, { name: "Renamed" }, {
          ...headers,
        });
        assert.equal(renamed.status, 200, String(origin));
        const deleted = await server.fetch(`/api/manifests/${id}`, { method: "DELETE", headers });
        assert.equal(deleted.status, 204, String(origin));
        await deleted.body?.cancel();
      }
    });

    await t.step(
      "a WebSocket from a foreign Origin is refused; same-origin ones open",
      async () => {
        const ws = `${server.url.replace("http", "ws")}/ws`;
        assert.equal(await tryWebSocket(ws, EVIL), "refused");
        assert.equal(await tryWebSocket(ws, "null"), "refused");
        assert.equal(await tryWebSocket(ws, server.url), "open");
        assert.equal(await tryWebSocket(ws, "http://localhost:5173"), "open");
        assert.equal(await tryWebSocket(ws), "open", "no Origin: not a browser page");
        const refused = await server.fetch("/ws", {
          headers: { origin: EVIL, upgrade: "websocket" },
        });
        assert.deepEqual(await outcome(refused), { status: 403, code: "origin_not_allowed" });
      },
    );

    await t.step("JSON, static files, 404s and 403s carry the security headers", async () => {
      for (
        const [path, status] of [
          ["/healthz", 200],
          ["/api/manifests", 200],
          ["/", 200],
          ["/css/base.css", 200],
          ["/js/app.js", 200],
          ["/favicon.svg", 200],
          ["/nothing-here", 404],
          ["/api/manifests/00000000-0000-4000-8000-000000000000", 404],
        ] as const
      ) {
        const response = await server.fetch(path);
        assert.equal(response.status, status, path);
        assertSecurityHeaders(response.headers, path);
        await response.body?.cancel();
      }
      const favicon = await server.fetch("/favicon.svg");
      assert.match(favicon.headers.get("content-type") ?? "", /^image\/svg\+xml\b/);
      assert.match(await favicon.text(), /^<svg /);
      const page = await (await server.fetch("/")).text();
      assert.match(page, /<link rel="icon" href="\/favicon.svg"/);
      assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
      assert.doesNotMatch(page, /\sstyle=|\son[a-z]+=/i, "no inline style or handler");
      const refused = await server.fetch("/api/manifests", {
        method: "POST",
        headers: { origin: EVIL },
      });
      assert.equal(refused.status, 403);
      assertSecurityHeaders(refused.headers, "403");
      await refused.body?.cancel();
    });
  } finally {
    await server.close();
  }
});

Deno.test("with AUTH_TOKEN: the token is the guard, 401s say Bearer, headers everywhere", async (t) => {
  const token = "security-test-token";
  const server = await startTestServer({ AUTH_TOKEN: token });
  const bearer = { authorization: `Bearer ${token}` };
  try {
    await t.step("every 401 carries WWW-Authenticate: Bearer and the headers", async () => {
      for (
        const init of [{}, { headers: { authorization: "Bearer wrong-token" } }] as RequestInit[]
      ) {
        const response = await server.fetch("/api/manifests", init);
        assert.equal(response.status, 401);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer\b/);
        assertSecurityHeaders(response.headers, "401");
        await response.body?.cancel();
      }
    });

    await t.step("any Host is answered: the service may be reached by any name", async () => {
      const reply = await rawRequest(server.url, "GET", "/api/manifests", {
        Host: "studio.example.org",
        Authorization: `Bearer ${token}`,
      });
      assert.equal(reply.status, 200);
      assertSecurityHeaders(reply.headers, "foreign Host with a token");
      const page = await rawRequest(server.url, "GET", "/", { Host: "studio.example.org" });
      assert.equal(page.status, 200);
    });

    await t.step("another Origin needs the token like anyone, and works with it", async () => {
      const without = await server.json("POST", "/api/manifests", { name: "X" }, { origin: EVIL });
      assert.equal(without.status, 401);
      const withToken = await server.json("POST", "/api/manifests", { name: "Tool" }, {
        origin: "https://studio.example.org",
        ...bearer,
      });
      assert.equal(withToken.status, 201);
    });

    await t.step("the WebSocket still upgrades and authenticates", async () => {
      const ws = `${server.url.replace("http", "ws")}/ws?token=${token}`;
      const socket = new WebSocket(ws, { headers: { origin: server.url } });
      const pong = await new Promise<{ type: string }>((resolve, reject) => {
        socket.onopen = () => socket.send(JSON.stringify({ type: "ping" }));
        socket.onmessage = (event) => resolve(JSON.parse(event.data));
        socket.onerror = () => reject(new Error("The WebSocket did not open."));
      });
      assert.equal(pong.type, "pong");
      const closed = new Promise((resolve) => socket.onclose = resolve);
      socket.close();
      await closed;
    });
  } finally {
    await server.close();
  }
});
