/**
 * A {@linkcode BlobStore} in an S3-compatible bucket (AWS S3, Ceph radosgw, MinIO, …), so that
 * several instances of the service can share one set of images, thumbnails and contact sheets.
 *
 * Requests are signed by `aws4fetch` (SigV4 over plain `fetch`, about 100 KB, instead of the
 * SDK's tens of megabytes) and addressed path-style (`{endpoint}/{bucket}/{key}`), which every
 * S3-compatible server understands without DNS names per bucket.
 *
 * Every key the service writes is derived from the bytes it holds (docs/data-model.md, blob
 * store), so a put is conditional (`If-None-Match: *`): when the key is already there the
 * server answers 412 and the bytes already stored are the right ones.
 *
 * @module
 */
import { AwsClient } from "aws4fetch";
import { log } from "../log.ts";
import { assertBlobKey, type BlobStore, type BlobStream } from "./blob_store.ts";

/** Where the bucket is and how to sign requests to it (the `S3_*` variables). */
export interface S3BlobStoreOptions {
  /** Base URL of the server, e.g. `https://s3.eu-west-1.amazonaws.com` (`S3_ENDPOINT`). */
  readonly endpoint: string;
  /** `S3_BUCKET`. */
  readonly bucket: string;
  /** `S3_ACCESS_KEY_ID`. */
  readonly accessKeyId: string;
  /** `S3_SECRET_ACCESS_KEY`. */
  readonly secretAccessKey: string;
  /** `S3_REGION`: part of every signature; `us-east-1` for most servers other than AWS. */
  readonly region: string;
  /** Time limit of one attempt of one request, in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
  /** Retries of a request after a 5xx, a 429, a network error or a timeout (default 3). */
  readonly retries?: number;
  /** First backoff before a retry, in milliseconds; it doubles on every retry (default 100). */
  readonly backoffMs?: number;
}

/**
 * A request to the bucket failed. The message names the `S3_*` variable to fix when the
 * answer points at one ({@linkcode S3StoreError.variable}).
 */
export class S3StoreError extends Error {
  override name = "S3StoreError";
  /** HTTP status of the last answer; null when none came (network error, timeout). */
  readonly status: number | null;
  /** The S3 error code (`NoSuchBucket`, `SignatureDoesNotMatch`, …) when the answer had one. */
  readonly code: string | null;
  /** The variable most likely to be wrong, when the failure points at one. */
  readonly variable: string | null;

  constructor(
    message: string,
    details: { status?: number | null; code?: string | null; variable?: string | null } = {},
  ) {
    super(message);
    this.status = details.status ?? null;
    this.code = details.code ?? null;
    this.variable = details.variable ?? null;
  }
}

/** Statuses worth another attempt: the server or something in front of it is overloaded. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

interface Policy {
  readonly timeoutMs: number;
  readonly retries: number;
}

/** Readiness probes must answer quickly and say "not ready" rather than wait. */
const CHECK_POLICY: Policy = { timeoutMs: 3_000, retries: 0 };
/** At start, a server that does not answer within 10 s is as good as a wrong address. */
const START_POLICY: Policy = { timeoutMs: 10_000, retries: 2 };

/** A {@linkcode BlobStore} in one bucket of an S3-compatible server. */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3";
  readonly endpoint: string;
  readonly bucket: string;
  readonly #options: S3BlobStoreOptions;
  readonly #client: AwsClient;
  readonly #policy: Policy;
  readonly #backoffMs: number;

  /**
   * A store that sends no request yet; {@linkcode S3BlobStore.open} also makes sure the bucket
   * is there and writable, which is what the service does at start.
   */
  constructor(options: S3BlobStoreOptions) {
    this.#options = options;
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.bucket = options.bucket;
    // aws4fetch would retry 5xx on its own; the loop here also retries network errors and
    // timeouts, so its own retries are off.
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      region: options.region,
      service: "s3",
      retries: 0,
    });
    this.#policy = { timeoutMs: options.timeoutMs ?? 30_000, retries: options.retries ?? 3 };
    this.#backoffMs = options.backoffMs ?? 100;
  }

  /**
   * Opens the bucket: creates it when it is missing, then writes, reads back and deletes a
   * small object under `probe/`, so that a wrong secret, an unreachable endpoint or a
   * bucket this key may not write fail now rather than at the first upload.
   *
   * @throws {S3StoreError} naming the variable to fix.
   */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const store = new S3BlobStore(options);
    await store.#probe();
    return store;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.#put(key, bytes, this.#policy);
  }

  async get(key: string): Promise<Uint8Array | null> {
    return await this.#get(key, this.#policy);
  }

  /**
   * The object read whole, then handed out as one chunk: a request's timeout also covers
   * reading its body, so a body left open while a slow reader catches up would time out.
   */
  async stream(key: string): Promise<BlobStream | null> {
    const bytes = await this.#get(key, this.#policy);
    if (!bytes) return null;
    return {
      size: bytes.length,
      stream: new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
    };
  }

  async has(key: string): Promise<boolean> {
    const response = await this.#send("HEAD", key, {}, this.#policy);
    await response.body?.cancel();
    if (response.ok) return true;
    // A HEAD answer has no body, so a missing bucket looks like a missing key here; the
    // bucket was there at start, and the next put says NoSuchBucket if it went away.
    if (response.status === 404) return false;
    throw this.#failure(response, "", "read", key);
  }

  async delete(key: string): Promise<void> {
    const response = await this.#send("DELETE", key, {}, this.#policy);
    const text = await response.text();
    // S3 answers 204 for a key that is not there; some servers answer 404 NoSuchKey.
    if (response.ok || (response.status === 404 && codeOf(text) !== "NoSuchBucket")) return;
    throw this.#failure(response, text, "delete", key);
  }

  /** Reads a key that is never written: answers quickly whether the bucket is usable. */
  async check(): Promise<void> {
    await this.#get("probe/readiness", CHECK_POLICY);
  }

  async #put(key: string, bytes: Uint8Array, policy: Policy): Promise<void> {
    const response = await this.#send("PUT", key, {
      body: bytes,
      headers: {
        "content-type": "application/octet-stream",
        // Keys name their content: whoever wrote first wrote the same bytes (412 = there).
        "if-none-match": "*",
      },
    }, policy);
    const text = await response.text();
    if (response.ok || response.status === 412) return;
    throw this.#failure(response, text, "write", key);
  }

  async #get(key: string, policy: Policy): Promise<Uint8Array | null> {
    const response = await this.#send("GET", key, {}, policy);
    if (response.ok) return new Uint8Array(await response.arrayBuffer());
    const text = await response.text();
    if (response.status === 404 && codeOf(text) !== "NoSuchBucket") return null;
    throw this.#failure(response, text, "read", key);
  }

  async #probe(): Promise<void> {
    const key = `probe/${crypto.randomUUID()}`;
    const bytes = new TextEncoder().encode(
      `manifest-studio start probe ${new Date().toISOString()}`,
    );
    try {
      await this.#put(key, bytes, START_POLICY);
    } catch (error) {
      if (!(error instanceof S3StoreError) || error.code !== "NoSuchBucket") throw error;
      await this.#createBucket();
      await this.#put(key, bytes, START_POLICY);
    }
    const back = await this.#get(key, START_POLICY);
    if (back === null || !sameBytes(back, bytes)) {
      throw new S3StoreError(
        `S3_ENDPOINT=${this.endpoint} did not give back the object just written to ` +
          `S3_BUCKET=${this.bucket} (${key}): point S3_ENDPOINT at an S3-compatible server.`,
        { variable: "S3_ENDPOINT" },
      );
    }
    await this.delete(key);
  }

  async #createBucket(): Promise<void> {
    // us-east-1 is the default location and must not be named; any other region must be.
    const body = this.#options.region === "us-east-1" ? undefined : new TextEncoder().encode(
      `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<LocationConstraint>${this.#options.region}</LocationConstraint>` +
        `</CreateBucketConfiguration>`,
    );
    const response = await this.#send("PUT", null, { body }, START_POLICY);
    const text = await response.text();
    const code = codeOf(text);
    if (response.ok || code === "BucketAlreadyOwnedByYou") {
      log.info("Created the S3 bucket.", { endpoint: this.endpoint, bucket: this.bucket });
      return;
    }
    if (code === "BucketAlreadyExists") {
      throw new S3StoreError(
        `S3_BUCKET=${this.bucket} does not accept writes from S3_ACCESS_KEY_ID=` +
          `${this.#options.accessKeyId} and its name is taken by another account at ` +
          `${this.endpoint}: choose another S3_BUCKET.`,
        { status: response.status, code, variable: "S3_BUCKET" },
      );
    }
    if (code === "AccessDenied") {
      throw new S3StoreError(
        `S3_BUCKET=${this.bucket} does not exist at ${this.endpoint} and S3_ACCESS_KEY_ID=` +
          `${this.#options.accessKeyId} may not create it: create the bucket, or let this key ` +
          "create buckets.",
        { status: response.status, code, variable: "S3_BUCKET" },
      );
    }
    throw this.#failure(response, text, "create the bucket", null);
  }

  /**
   * Signs and sends one request, retrying 5xx/429 answers, network errors and timeouts with
   * a doubling, jittered backoff. Answers of other statuses are returned for the caller to
   * judge; their body is the caller's to read.
   */
  async #send(
    method: string,
    key: string | null,
    init: { body?: Uint8Array; headers?: Record<string, string> },
    policy: Policy,
  ): Promise<Response> {
    if (key !== null) assertBlobKey(key);
    const url = `${this.endpoint}/${encodeURIComponent(this.bucket)}${
      key === null ? "" : `/${key}`
    }`;
    const what = key === null ? `bucket ${this.bucket}` : key;
    for (let attempt = 0;; attempt++) {
      const last = attempt >= policy.retries;
      let response: Response;
      try {
        const request = await this.#client.sign(url, {
          method,
          headers: init.headers,
          body: init.body as Uint8Array<ArrayBuffer> | undefined,
        });
        response = await fetch(request, { signal: AbortSignal.timeout(policy.timeoutMs) });
      } catch (error) {
        if (last) throw this.#unreachable(error, method, what, policy);
        await this.#backoff(attempt, method, what, describe(error));
        continue;
      }
      if (!RETRY_STATUSES.has(response.status) || last) return response;
      await response.body?.cancel();
      await this.#backoff(attempt, method, what, `status ${response.status}`);
    }
  }

  async #backoff(attempt: number, method: string, what: string, reason: string): Promise<void> {
    const ms = this.#backoffMs * 2 ** attempt * (0.5 + Math.random() / 2);
    log.debug("Retrying an S3 request.", { method, key: what, reason, retry_in_ms: ms });
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  #unreachable(error: unknown, method: string, what: string, policy: Policy): S3StoreError {
    const tries = policy.retries + 1;
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return new S3StoreError(
        `S3_ENDPOINT=${this.endpoint} did not answer ${method} ${what} within ` +
          `${policy.timeoutMs / 1000} s (${tries} ${tries === 1 ? "try" : "tries"}): check ` +
          "that the address is right and the server is up.",
        { variable: "S3_ENDPOINT" },
      );
    }
    return new S3StoreError(
      `Cannot reach S3_ENDPOINT=${this.endpoint} (${describe(error)}; ${tries} ` +
        `${tries === 1 ? "try" : "tries"}): check that the address is right and the server is up.`,
      { variable: "S3_ENDPOINT" },
    );
  }

  /** The error for an answer the caller cannot use, naming the variable to fix. */
  #failure(response: Response, text: string, verb: string, key: string | null): S3StoreError {
    const status = response.status;
    const code = codeOf(text);
    const detail = messageOf(text);
    const { endpoint, bucket } = this;
    const keyId = this.#options.accessKeyId;
    const about = key === null ? `bucket ${bucket}` : `${key} in bucket ${bucket}`;
    const fail = (message: string, variable: string | null) =>
      new S3StoreError(message, { status, code, variable });
    switch (code) {
      case "SignatureDoesNotMatch":
        return fail(
          `${endpoint} refused the signature of a request: S3_SECRET_ACCESS_KEY is not the ` +
            `secret of S3_ACCESS_KEY_ID=${keyId}.`,
          "S3_SECRET_ACCESS_KEY",
        );
      case "InvalidAccessKeyId":
        return fail(
          `${endpoint} does not know S3_ACCESS_KEY_ID=${keyId}: use a key of this server.`,
          "S3_ACCESS_KEY_ID",
        );
      case "AccessDenied":
        return fail(
          `S3_ACCESS_KEY_ID=${keyId} may not ${verb} ${about} at ${endpoint} (AccessDenied): ` +
            "allow it to get, put and delete objects in S3_BUCKET, or use another bucket.",
          "S3_BUCKET",
        );
      case "NoSuchBucket":
        return fail(
          `S3_BUCKET=${bucket} does not exist at ${endpoint}: it was there at start, so it was ` +
            "deleted since; create it again (or restart the service, which creates it).",
          "S3_BUCKET",
        );
      case "InvalidBucketName":
        return fail(`S3_BUCKET=${bucket} is not a valid bucket name at ${endpoint}.`, "S3_BUCKET");
      case "AuthorizationHeaderMalformed":
      case "IllegalLocationConstraintException":
      case "InvalidLocationConstraint":
      case "PermanentRedirect":
        return fail(
          `S3_REGION=${this.#options.region} is not the region of S3_BUCKET=${bucket} at ` +
            `${endpoint}${detail ? ` (${detail})` : ""}: set S3_REGION to the bucket's region.`,
          "S3_REGION",
        );
      case "RequestTimeTooSkewed":
        return fail(
          `${endpoint} refused a request because this machine's clock is too far from the ` +
            "server's: set the clock (e.g. with NTP).",
          null,
        );
    }
    if (status === 403) {
      // A HEAD answer carries no error code: the keys or the bucket's permissions.
      return fail(
        `${endpoint} refused to let S3_ACCESS_KEY_ID=${keyId} ${verb} ${about} (403): check ` +
          "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, and that this key may get, put and delete " +
          "objects in S3_BUCKET.",
        null,
      );
    }
    if (status === 301 || status === 307) {
      return fail(
        `S3_ENDPOINT=${endpoint} redirected the request to ${
          response.headers.get("location") ?? "another address"
        }: point S3_ENDPOINT (and S3_REGION) at the bucket's own region.`,
        "S3_ENDPOINT",
      );
    }
    return fail(
      `S3_ENDPOINT=${endpoint} answered ${status}${code ? ` ${code}` : ""} when asked to ${verb} ` +
        `${about}${detail ? `: ${detail}` : ""}.`,
      "S3_ENDPOINT",
    );
  }
}

/** The `<Code>` of an S3 error document, or null. */
function codeOf(xml: string): string | null {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? null;
}

/** The `<Message>` of an S3 error document, or null. */
function messageOf(xml: string): string | null {
  return /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] || null;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the system error ("Connection refused (os error 111)") in its cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
