/**
 * A fake Gemini `generateContent` server for tests: a Hono app on 127.0.0.1 that the REAL
 * `@google/genai` SDK talks to (`httpOptions: { baseUrl: fake.url, apiVersion: "v1beta" }`).
 * It records every request, counts requests in flight and answers as a plan says: ok, an
 * HTTP error in Gemini's JSON shape (429 with `Retry-After`, 401, 500…), slowly, never,
 * with text that is not JSON, or with JSON that violates the reverse-prompt schema.
 *
 * @module
 */
import { Hono } from "hono";
import { sha256Hex } from "../../src/storage/sha256.ts";

/** One request the fake received, as parsed. Times are `Date.now()` milliseconds. */
export interface RecordedRequest {
  /** 1-based position among all requests since start/reset. */
  readonly seq: number;
  readonly receivedAt: number;
  /** When the answer was sent (or the client gave up); unset while in flight. */
  answeredAt?: number;
  /** HTTP status sent; unset while in flight or when the client aborted first. */
  status?: number;
  /** The behaviour applied, e.g. `"ok"`, `"status"`, `"hang"`. */
  behaviour?: Behaviour["kind"];
  /** The client went away (abort/timeout) before an answer was sent. */
  clientAborted?: boolean;
  readonly apiVersion: string;
  readonly model: string;
  /** From the `x-goog-api-key` header, else the `key` query parameter. */
  readonly apiKey: string | null;
  /** All text parts of all contents (and systemInstruction), joined with newlines. */
  readonly prompt: string;
  /** Every inlineData part: MIME type, decoded byte length, SHA-256 hex of the bytes. */
  readonly images: { mimeType: string; byteLength: number; sha256: string }[];
  /** SHA-256 hex of the first image's bytes ("" when the request has none): "the image". */
  readonly imageHash: string;
  readonly generationConfig: {
    responseMimeType?: string;
    responseJsonSchema?: unknown;
    temperature?: number;
    [key: string]: unknown;
  };
  /** The whole parsed JSON body. */
  readonly body: Record<string, unknown>;
  /** usageMetadata sent with a 200 answer. */
  usage?: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
}

/** How the fake answers one request. */
export type Behaviour =
  | { kind: "ok"; payload?: unknown; delayMs?: number }
  | { kind: "status"; status: number; retryAfter?: number; message?: string; delayMs?: number }
  | { kind: "slow"; delayMs: number; payload?: unknown }
  | { kind: "hang" }
  | { kind: "malformed"; text?: string }
  | { kind: "schemaViolation"; payload?: unknown };

/** Chooses a behaviour; `nthForImage` and `nthOverall` are 1-based and count this request. */
export type Plan = (request: RecordedRequest, nthForImage: number, nthOverall: number) => Behaviour;
/** Produces the JSON answer of an `ok` request (default: {@link defaultResponder}). */
export type Responder = (request: RecordedRequest) => unknown | Promise<unknown>;

/** Behaviour constructors, e.g. `B.status(429, { retryAfter: 1 })`. */
export const B = {
  ok: (payload?: unknown): Behaviour => ({ kind: "ok", payload }),
  status: (status: number, o: { retryAfter?: number; message?: string } = {}): Behaviour => ({
    kind: "status",
    status,
    ...o,
  }),
  slow: (delayMs: number, payload?: unknown): Behaviour => ({ kind: "slow", delayMs, payload }),
  hang: (): Behaviour => ({ kind: "hang" }),
  malformed: (text?: string): Behaviour => ({ kind: "malformed", text }),
  schemaViolation: (payload?: unknown): Behaviour => ({ kind: "schemaViolation", payload }),
} as const;

/** Plan: `first` on the first call of every image, `then` afterwards. */
export function firstCallOfEachImage(first: Behaviour, then: Behaviour = B.ok()): Plan {
  return (_request, nthForImage) => nthForImage === 1 ? first : then;
}
/** Plan: `behaviour` for the image with this SHA-256 hex (see {@link sha256Hex}), else `other`. */
export function forImage(hash: string, behaviour: Behaviour, other: Behaviour = B.ok()): Plan {
  return (request) => request.imageHash === hash ? behaviour : other;
}

/** The reverse-prompt shape (docs/pipeline.md), as the default responder fills it. */
export interface FakeReversePrompt {
  reverse_prompt: string;
  visual_description: string;
  quality_score: number;
  suggested_name: string;
}

/** A schema-valid reverse prompt naming the image's MIME type and size; deterministic. */
export function defaultResponder(r: RecordedRequest): FakeReversePrompt {
  const img = r.images[0];
  const what = img ? `${img.mimeType} image of ${img.byteLength} bytes` : "request without image";
  const id = r.imageHash.slice(0, 8) || "noimage";
  return {
    reverse_prompt: `Fake reverse prompt for a ${what} (${id}).`,
    visual_description: `Fake visual description of a ${what} (${id}).`,
    quality_score: r.imageHash ? (parseInt(r.imageHash.slice(0, 2), 16) % 101) / 10 : 5,
    suggested_name: `Fake asset ${id}`,
  };
}

const ERRORS: Record<number, [string, string]> = {
  400: ["INVALID_ARGUMENT", "Request contains an invalid argument."],
  401: ["UNAUTHENTICATED", "API key not valid. Please pass a valid API key."],
  403: ["PERMISSION_DENIED", "The caller does not have permission"],
  404: ["NOT_FOUND", "Requested entity was not found."],
  429: ["RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."],
  500: ["INTERNAL", "An internal error has occurred. Please retry or report it."],
  503: ["UNAVAILABLE", "The model is overloaded. Please try again later."],
};

/** Options of {@link startFakeGemini}. */
export interface FakeGeminiOptions {
  plan?: Plan | Behaviour;
  responder?: Responder;
}

/** A running fake; `close()` it at the end of the test (pending `hang`s are released). */
export interface FakeGemini {
  /** Base URL, e.g. `http://127.0.0.1:41234`: the value for `GEMINI_BASE_URL`. */
  readonly url: string;
  /** Every request since start/reset, in arrival order (live array). */
  readonly requests: RecordedRequest[];
  readonly inFlight: number;
  readonly maxInFlight: number;
  setPlan(plan: Plan | Behaviour): void;
  setResponder(responder: Responder): void;
  /** Forgets requests and counters; restores the default plan (always ok) and responder. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  let plan: Plan = () => B.ok();
  let responder: Responder = defaultResponder;
  let requests: RecordedRequest[] = [];
  let perImage = new Map<string, number>();
  let inFlight = 0, maxInFlight = 0;
  const closing = new AbortController();
  const setPlan = (p: Plan | Behaviour) => plan = typeof p === "function" ? p : () => p;
  if (options.plan) setPlan(options.plan);
  if (options.responder) responder = options.responder;

  /** Resolves after `ms` (never when `ms` is Infinity), or early on close / client hang-up. */
  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      if (signal.aborted) done();
      else signal.addEventListener("abort", done);
    });

  const app = new Hono<{ Bindings: { hangUp: AbortSignal } }>();
  app.post("/:version/models/:call", async (c) => {
    const version = c.req.param("version");
    const call = c.req.param("call");
    const sep = call.lastIndexOf(":");
    const [model, method] = [call.slice(0, sep), call.slice(sep + 1)];
    if (!["v1", "v1beta"].includes(version) || sep < 0 || method !== "generateContent") {
      return errorJson(404, `Method ${call} not supported by the fake`);
    }
    let body: Record<string, unknown>;
    try {
      body = await c.req.json();
    } catch {
      return errorJson(400, "Invalid JSON payload received.");
    }
    const texts: string[] = [], images: RecordedRequest["images"] = [];
    const contents = [body.systemInstruction, ...(body.contents as unknown[] ?? [])];
    for (const content of contents as { parts?: Record<string, unknown>[] }[]) {
      for (const part of content?.parts ?? []) {
        if (typeof part.text === "string") texts.push(part.text);
        const inline = part.inlineData as { mimeType: string; data: string } | undefined;
        if (inline) {
          const bytes = Uint8Array.fromBase64(inline.data);
          const sha256 = await sha256Hex(bytes);
          images.push({ mimeType: inline.mimeType, byteLength: bytes.length, sha256 });
        }
      }
    }
    const req: RecordedRequest = {
      seq: requests.length + 1,
      receivedAt: Date.now(),
      apiVersion: version,
      model,
      apiKey: c.req.header("x-goog-api-key") ?? c.req.query("key") ?? null,
      prompt: texts.join("\n"),
      images,
      imageHash: images[0]?.sha256 ?? "",
      generationConfig: (body.generationConfig ?? {}) as RecordedRequest["generationConfig"],
      body,
    };
    const log = requests;
    log.push(req);
    const nthForImage = (perImage.get(req.imageHash) ?? 0) + 1;
    perImage.set(req.imageHash, nthForImage);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      const b = plan(req, nthForImage, req.seq);
      req.behaviour = b.kind;
      const delay = b.kind === "hang" ? Infinity : "delayMs" in b ? b.delayMs ?? 0 : 0;
      if (delay > 0) {
        const hangUp = c.env.hangUp;
        await wait(delay, AbortSignal.any([closing.signal, hangUp]));
        if (hangUp.aborted || closing.signal.aborted) {
          req.clientAborted = hangUp.aborted;
          return errorJson(503, "The fake is closing or the client went away.");
        }
      }
      let res: Response;
      if (b.kind === "status") {
        const retry = b.retryAfter;
        const notFound = `models/${model} is not found for API version ${version}, or is not ` +
          "supported for generateContent.";
        res = errorJson(b.status, b.message ?? (b.status === 404 ? notFound : undefined), retry);
        if (retry !== undefined) res.headers.set("Retry-After", String(retry));
      } else {
        let text: string;
        if (b.kind === "malformed") {
          text = b.text ?? "Sure! Here is the JSON: {reverse_prompt: oops";
        } else if (b.kind === "schemaViolation") {
          text = JSON.stringify(
            b.payload ?? { reverse_prompt: "Half an answer", quality_score: 42 },
          );
        } else {
          const payload = "payload" in b && b.payload !== undefined
            ? b.payload
            : await responder(req);
          text = JSON.stringify(payload);
        }
        const promptTokenCount = Math.ceil(req.prompt.length / 4) + 258 * images.length;
        const candidatesTokenCount = Math.ceil(text.length / 4);
        req.usage = {
          promptTokenCount,
          candidatesTokenCount,
          totalTokenCount: promptTokenCount + candidatesTokenCount,
        };
        res = Response.json({
          candidates: [{
            content: { parts: [{ text }], role: "model" },
            finishReason: "STOP",
            index: 0,
          }],
          usageMetadata: req.usage,
          modelVersion: model,
          responseId: `fake-${req.seq}`,
        });
      }
      req.status = res.status;
      return res;
    } finally {
      req.answeredAt = Date.now();
      if (log === requests) inFlight--;
    }
  });
  app.all("*", () => errorJson(404, "Not found"));

  // Deno.serve does not notice a client hanging up once a larger request body has been read
  // (its request.signal stays quiet), so a TCP relay in front of it watches each connection
  // and aborts `hangUp` for requests that arrived on it when the client closes its side.
  const hangUps = new Map<number, AbortController>(); // relay→server port → client gone
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: resolve },
    (request, info) =>
      app.fetch(request, { hangUp: hangUps.get(info.remoteAddr.port)?.signal ?? closing.signal }),
  );
  const inner = await listening;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const relays: Promise<unknown>[] = [];
  const relay = async (client: Deno.Conn) => {
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: inner.port });
    const port = (upstream.localAddr as Deno.NetAddr).port, hangUp = new AbortController();
    hangUps.set(port, hangUp);
    conns.add(client).add(upstream);
    const end = () => { // either side gone: close both
      for (const conn of [client, upstream]) if (conns.delete(conn)) ignore(() => conn.close());
    };
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable).finally(() => (hangUp.abort(), end())),
      upstream.readable.pipeTo(client.writable).finally(end),
    ]);
    hangUps.delete(port);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      relays.push(relay(client).catch(() => ignore(() => client.close())));
    }
  })().catch(() => {});

  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    get requests() {
      return requests;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setPlan,
    setResponder: (r) => responder = r,
    reset() {
      requests = [];
      perImage = new Map();
      inFlight = maxInFlight = 0;
      plan = () => B.ok();
      responder = defaultResponder;
    },
    async close() {
      closing.abort();
      ignore(() => listener.close());
      await server.shutdown(); // answers the released requests, then closes its connections
      await Promise.all([accepting, ...relays]);
    },
  };
}

/** Runs `fn`, ignoring "already closed" errors. */
function ignore(fn: () => void) {
  try {
    fn();
  } catch { /* already closed */ }
}

/** A Gemini-shaped error body `{error: {code, message, status, details?}}`. */
function errorJson(code: number, message?: string, retryAfter?: number): Response {
  const [status, fallback] = ERRORS[code] ?? ["UNKNOWN", `HTTP ${code}`];
  message ??= fallback;
  // Real Gemini answers a bad key with 400 INVALID_ARGUMENT + this ErrorInfo reason.
  const details = retryAfter !== undefined
    ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfter}s` }]
    : message.startsWith("API key not valid")
    ? [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }]
    : undefined;
  return Response.json({ error: { code, message, status, details } }, { status: code });
}
