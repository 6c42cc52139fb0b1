/**
 * One contract for both blob stores — files under DATA_DIR and a bucket of a real S3 server
 * (Ceph radosgw, started by tests/_radosgw.ts) — then what only the S3 store does: refuse bad
 * configuration at start naming the variable, create a missing bucket, retry and time out.
 */
import assert from "node:assert/strict";
import { AwsClient } from "aws4fetch";
import { type BlobStore, LocalBlobStore } from "../src/storage/blob_store.ts";
import {
  S3BlobStore,
  type S3BlobStoreOptions,
  S3StoreError,
} from "../src/storage/s3_blob_store.ts";
import { setLogLevel } from "../src/log.ts";
import { type Radosgw, radosgw, uniqueBucket } from "./_radosgw.ts";

setLogLevel("error");

interface StoreKind {
  readonly name: string;
  /** A store for one test; keys are prefixed by the caller, so tests may share the bucket. */
  open(): Promise<BlobStore>;
}

let s3Store: Promise<S3BlobStore> | undefined;

const KINDS: readonly StoreKind[] = [
  {
    name: "LocalBlobStore",
    open: async () => new LocalBlobStore(await Deno.makeTempDir({ prefix: "blob-contract-" })),
  },
  {
    name: "S3BlobStore on radosgw",
    open: () =>
      s3Store ??= radosgw().then((gw) => S3BlobStore.open(options(gw, uniqueBucket("contract")))),
  },
];

function options(gw: Radosgw, bucket: string): S3BlobStoreOptions {
  return {
    endpoint: gw.endpoint,
    bucket,
    accessKeyId: gw.accessKeyId,
    secretAccessKey: gw.secretAccessKey,
    region: gw.region,
  };
}

/** A raw signed client, to look at the bucket without going through the store. */
function rawClient(gw: Radosgw): AwsClient {
  return new AwsClient({
    accessKeyId: gw.accessKeyId,
    secretAccessKey: gw.secretAccessKey,
    region: gw.region,
    service: "s3",
    retries: 0,
  });
}

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | null) =>
  bytes === null ? null : new TextDecoder().decode(bytes);
const prefix = () => `t/${crypto.randomUUID()}`;

/** The S3StoreError `promise` rejects with (fails the test when it does not). */
async function s3Error(promise: Promise<unknown>): Promise<S3StoreError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3StoreError, `expected S3StoreError, got ${error}`);
    return error;
  }
  assert.fail("did not throw");
}

for (const kind of KINDS) {
  const test = (name: string, fn: (store: BlobStore, at: string) => Promise<void>) =>
    Deno.test(`${kind.name}: ${name}`, async () => fn(await kind.open(), prefix()));

  test("put, then get and has see the bytes", async (store, at) => {
    await store.put(`${at}/a`, encode("alpha"));
    assert.equal(decode(await store.get(`${at}/a`)), "alpha");
    assert.equal(await store.has(`${at}/a`), true);
  });

  test("a missing key: get is null, has is false, delete is no error", async (store, at) => {
    assert.equal(await store.get(`${at}/missing`), null);
    assert.equal(await store.has(`${at}/missing`), false);
    await store.delete(`${at}/missing`);
  });

  test("delete removes a key, and a new put after it stores the new bytes", async (store, at) => {
    await store.put(`${at}/d`, encode("first"));
    await store.delete(`${at}/d`);
    assert.equal(await store.get(`${at}/d`), null);
    assert.equal(await store.has(`${at}/d`), false);
    // What releaseImages then a concurrent upload's restore do.
    await store.put(`${at}/d`, encode("second"));
    assert.equal(decode(await store.get(`${at}/d`)), "second");
  });

  test("stream yields the bytes and their size; a missing key is null", async (store, at) => {
    // More than one chunk of a file, and a size no chunk divides.
    const bytes = new Uint8Array(150 * 1024 + 7).map((_, index) => index * 7 % 251);
    await store.put(`${at}/s`, bytes);
    const blob = await store.stream(`${at}/s`);
    assert.ok(blob);
    assert.equal(blob.size, bytes.length);
    assert.deepEqual(new Uint8Array(await new Response(blob.stream).arrayBuffer()), bytes);
    assert.equal(await store.stream(`${at}/missing`), null);
    // A stream given up half-read is cancelled without an error.
    const again = (await store.stream(`${at}/s`))!;
    const reader = again.stream.getReader();
    assert.ok(!(await reader.read()).done);
    await reader.cancel();
  });

  test("put never replaces: a key keeps the bytes written first", async (store, at) => {
    await store.put(`${at}/k`, encode("first"));
    await store.put(`${at}/k`, encode("second, different"));
    assert.equal(decode(await store.get(`${at}/k`)), "first");
  });

  test("concurrent puts of one key all succeed and leave whole bytes", async (store, at) => {
    const bytes = crypto.getRandomValues(new Uint8Array(64 * 1024));
    await Promise.all(Array.from({ length: 6 }, () => store.put(`${at}/same`, bytes)));
    assert.deepEqual(await store.get(`${at}/same`), bytes);
  });

  test("keys with slashes, dots and hyphens, as the service makes them", async (store, at) => {
    const keys = [
      `${at}/blobs/ab/cdef0123`,
      `${at}/thumbs/ab/cdef0123-256.jpg`,
      `${at}/sheets/0b5c3e0e-8b7a-4c39-9a53-1f0f3b9a6d11/0123456789abcdef.jpg`,
    ];
    for (const [index, key] of keys.entries()) await store.put(key, encode(`v${index}`));
    for (const [index, key] of keys.entries()) {
      assert.equal(decode(await store.get(key)), `v${index}`);
    }
    // A prefix of a key is not a key.
    assert.equal(await store.has(`${at}/blobs/ab`), false);
  });

  test("a 1 MB binary round trip keeps every byte", async (store, at) => {
    const bytes = new Uint8Array(1024 * 1024);
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
    }
    bytes.set([0, 255, 0, 13, 10, 26], 0); // NUL, CR LF, ^Z: nothing is treated as text.
    await store.put(`${at}/big.bin`, bytes);
    assert.deepEqual(await store.get(`${at}/big.bin`), bytes);
  });

  test("empty bytes are stored as an empty blob", async (store, at) => {
    await store.put(`${at}/empty`, new Uint8Array());
    assert.deepEqual(await store.get(`${at}/empty`), new Uint8Array());
    assert.equal(await store.has(`${at}/empty`), true);
  });

  test("keys the service never makes are refused before any I/O", async (store) => {
    for (const key of ["../escape", "/abs", "Upper/case", "a//b", "a/../b", "", "a b"]) {
      await assert.rejects(store.put(key, encode("x")), /is not valid/, key);
      await assert.rejects(store.get(key), /is not valid/, key);
    }
  });

  test("check() passes on a usable store", async (store) => {
    await store.check();
  });
}

// ---- S3 only ---------------------------------------------------------------------------------

Deno.test("radosgw honours If-None-Match: * (412 on an existing key)", async () => {
  const gw = await radosgw();
  const store = await (KINDS[1].open() as Promise<S3BlobStore>);
  const key = `${prefix()}/conditional`;
  await store.put(key, encode("kept"));
  const response = await rawClient(gw).fetch(`${gw.endpoint}/${store.bucket}/${key}`, {
    method: "PUT",
    body: "replacement",
    headers: { "if-none-match": "*" },
  });
  await response.body?.cancel();
  assert.equal(response.status, 412);
  assert.equal(decode(await store.get(key)), "kept");
});

Deno.test("S3BlobStore.open creates a missing bucket and leaves no probe object", async () => {
  const gw = await radosgw();
  const bucket = uniqueBucket("created");
  const client = rawClient(gw);
  const head = await client.fetch(`${gw.endpoint}/${bucket}`, { method: "HEAD" });
  assert.equal(head.status, 404, "the bucket is not there before");
  await S3BlobStore.open(options(gw, bucket));
  const list = await client.fetch(`${gw.endpoint}/${bucket}?list-type=2`);
  const xml = await list.text();
  assert.equal(list.status, 200, xml);
  assert.match(xml, /<KeyCount>0<\/KeyCount>/, "the probe was deleted");
  // Opening again (a second instance, a restart) uses the bucket that is there.
  await S3BlobStore.open(options(gw, bucket));
});

Deno.test("S3BlobStore.open refuses a wrong secret, naming S3_SECRET_ACCESS_KEY", async () => {
  const gw = await radosgw();
  const error = await s3Error(S3BlobStore.open({
    ...options(gw, uniqueBucket("secret")),
    secretAccessKey: "not-the-secret-of-this-key",
  }));
  assert.equal(error.variable, "S3_SECRET_ACCESS_KEY");
  assert.equal(error.code, "SignatureDoesNotMatch");
  assert.match(error.message, /S3_SECRET_ACCESS_KEY is not the secret of S3_ACCESS_KEY_ID=/);
  assert.doesNotMatch(error.message, /not-the-secret/, "the secret is never echoed");
});

Deno.test("S3BlobStore.open refuses an unknown access key, naming S3_ACCESS_KEY_ID", async () => {
  const gw = await radosgw();
  const error = await s3Error(S3BlobStore.open({
    ...options(gw, uniqueBucket("keyid")),
    accessKeyId: "NOSUCHKEY0000000",
  }));
  assert.equal(error.variable, "S3_ACCESS_KEY_ID");
  assert.match(error.message, /does not know S3_ACCESS_KEY_ID=NOSUCHKEY0000000/);
});

Deno.test("S3BlobStore.open refuses a bucket this key may not write, naming S3_BUCKET", async () => {
  const gw = await radosgw();
  const theirs = await S3BlobStore.open(options(gw, uniqueBucket("theirs")));
  const error = await s3Error(S3BlobStore.open({ ...options(gw, theirs.bucket), ...gw.other }));
  assert.equal(error.code, "AccessDenied");
  assert.equal(error.variable, "S3_BUCKET");
  assert.match(
    error.message,
    new RegExp(
      `^S3_ACCESS_KEY_ID=${gw.other.accessKeyId} may not write probe/\\S+ in bucket ` +
        `${theirs.bucket} at ${gw.endpoint} \\(AccessDenied\\)`,
    ),
  );
  // Reads of a key that is not there answer 403 (HEAD has no code) rather than "missing".
  const foreign = new S3BlobStore({ ...options(gw, theirs.bucket), ...gw.other });
  const headError = await s3Error(foreign.has("blobs/ab/cd"));
  assert.equal(headError.status, 403);
  assert.match(headError.message, /check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/);
});

Deno.test("S3BlobStore.open refuses an endpoint nothing listens on, naming S3_ENDPOINT", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const started = performance.now();
  const error = await s3Error(S3BlobStore.open({
    endpoint: `http://127.0.0.1:${port}`,
    bucket: "anything",
    accessKeyId: "key",
    secretAccessKey: "secret",
    region: "us-east-1",
    backoffMs: 10,
  }));
  assert.equal(error.variable, "S3_ENDPOINT");
  assert.match(error.message, new RegExp(`^Cannot reach S3_ENDPOINT=http://127.0.0.1:${port} `));
  assert.match(error.message, /3 tries/);
  assert.ok(performance.now() - started < 5_000, "a refused connection fails quickly");
});

Deno.test("a bucket deleted after start: puts name S3_BUCKET and check() fails", async () => {
  const gw = await radosgw();
  const store = await S3BlobStore.open(options(gw, uniqueBucket("deleted")));
  const gone = await rawClient(gw).fetch(`${gw.endpoint}/${store.bucket}`, { method: "DELETE" });
  await gone.body?.cancel();
  assert.equal(gone.status, 204);
  const error = await s3Error(store.put("blobs/ab/cd", encode("x")));
  assert.equal(error.code, "NoSuchBucket");
  assert.equal(error.variable, "S3_BUCKET");
  assert.match(error.message, /S3_BUCKET=deleted-.* does not exist/);
  await assert.rejects(store.check(), /NoSuchBucket|does not exist/);
  await s3Error(store.get("blobs/ab/cd"));
});

/** A stand-in server answering from `answer`, to see what the store does with bad answers. */
async function withStub(
  answer: (request: Request, count: number) => Response | Promise<Response>,
  fn: (endpoint: string, count: () => number) => Promise<void>,
): Promise<void> {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    count++;
    return answer(request, count);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, () => count);
  } finally {
    await server.shutdown();
  }
}

const stubOptions = (endpoint: string): S3BlobStoreOptions => ({
  endpoint,
  bucket: "stub",
  accessKeyId: "key",
  secretAccessKey: "secret",
  region: "us-east-1",
  backoffMs: 5,
});

Deno.test("5xx answers are retried with backoff, then the answer is used", async () => {
  await withStub(
    (_request, count) =>
      count <= 2
        ? new Response("<Error><Code>SlowDown</Code></Error>", { status: 503 })
        : new Response("hello"),
    async (endpoint, count) => {
      const store = new S3BlobStore(stubOptions(endpoint));
      assert.equal(decode(await store.get("blobs/ab/cd")), "hello");
      assert.equal(count(), 3);
    },
  );
});

Deno.test("a server that keeps failing: the error says what it answered, after 1 + retries", async () => {
  await withStub(
    () =>
      new Response("<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>", {
        status: 500,
      }),
    async (endpoint, count) => {
      const store = new S3BlobStore({ ...stubOptions(endpoint), retries: 2 });
      const error = await s3Error(store.put("blobs/ab/cd", encode("x")));
      assert.equal(count(), 3);
      assert.equal(error.status, 500);
      assert.match(
        error.message,
        /answered 500 InternalError when asked to write blobs\/ab\/cd.*disk on fire/,
      );
    },
  );
});

Deno.test("a server that does not answer: each attempt times out, naming S3_ENDPOINT", async () => {
  const { promise: never, resolve: release } = Promise.withResolvers<void>();
  await withStub(
    () => never.then(() => new Response("late")),
    async (endpoint, count) => {
      const store = new S3BlobStore({ ...stubOptions(endpoint), timeoutMs: 150, retries: 1 });
      const error = await s3Error(store.get("blobs/ab/cd"));
      assert.equal(count(), 2);
      assert.equal(error.variable, "S3_ENDPOINT");
      assert.match(error.message, /did not answer GET blobs\/ab\/cd within 0.15 s \(2 tries\)/);
      release();
    },
  );
});

Deno.test("4xx answers other than 404 and 412 are not retried", async () => {
  await withStub(
    () => new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 }),
    async (endpoint, count) => {
      const store = new S3BlobStore(stubOptions(endpoint));
      const error = await s3Error(store.delete("blobs/ab/cd"));
      assert.equal(count(), 1);
      assert.equal(error.variable, "S3_BUCKET");
      assert.match(error.message, /may not delete blobs\/ab\/cd in bucket stub/);
    },
  );
});
