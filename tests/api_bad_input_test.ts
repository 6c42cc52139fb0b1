/**
 * Acceptance: every kind of bad input gets a 4xx JSON error `{error: {code, message}}` and
 * leaves nothing behind — no row, no blob, no version bump.
 *
 * Each group runs against one real server from `startTestServer()`; every response any test
 * sees is recorded so the last test can check that none of them was a 5xx.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { databasePath } from "../src/server.ts";
import { multipart, startTestServer, type TestServer } from "./_harness.ts";
import { fixturePhoto } from "./fixtures/photos.ts";

// ---- recording every response -----------------------------------------------------------------

/** A reply with its body read once, as text and (when it is JSON) parsed. */
interface Reply {
  readonly label: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
}

/** Every response any test in this file received. */
const observed: Reply[] = [];

/** Sends a request, reads the whole body and records the reply. */
async function send(
  server: TestServer,
  label: string,
  path: string,
  init: RequestInit = {},
): Promise<Reply> {
  const response = await server.fetch(path, init);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const reply = { label, status: response.status, headers: response.headers, text, body };
  observed.push(reply);
  return reply;
}

/** Sends `body` as JSON. */
function sendJson(
  server: TestServer,
  label: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(server, label, path, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Sends a multipart body (a `FormData`, or one built by hand by {@linkcode rawMultipart}). */
function sendForm(
  server: TestServer,
  label: string,
  path: string,
  form: FormData | RawMultipart,
  headers: Record<string, string> = {},
): Promise<Reply> {
  if (form instanceof FormData) {
    return send(server, label, path, { method: "POST", body: form, headers });
  }
  return send(server, label, path, {
    method: "POST",
    body: form.body,
    headers: { "content-type": form.contentType, ...headers },
  });
}

/**
 * Checks a 4xx error reply: exact status, JSON content type, `{error: {code, message}}`, and
 * a sentence-case message that mentions each of `mentions`. Upload errors prefix the
 * message with the file's name (`photo.jpg: The file is empty…`); pass it as `file`.
 */
function assertError(
  reply: Reply,
  status: number,
  code: string,
  mentions: readonly (string | RegExp)[],
  options: { file?: string } = {},
): void {
  const where = `${reply.label} → ${reply.status} ${reply.text.slice(0, 500)}`;
  assert.equal(reply.status, status, `wrong status: ${where}`);
  assert.match(reply.headers.get("content-type") ?? "", /^application\/json\b/i, where);
  assert.equal(typeof reply.body, "object", `body is not JSON: ${where}`);
  assert.ok(reply.body !== null && typeof reply.body.error === "object", where);
  assert.equal(reply.body.error.code, code, `wrong code: ${where}`);
  const message = reply.body.error.message;
  assert.equal(typeof message, "string", where);
  assert.ok(message.trim().length > 0, `empty message: ${where}`);
  let sentence: string = message;
  if (options.file !== undefined) {
    const prefix = `${options.file}: `;
    assert.ok(message.startsWith(prefix), `message does not name the file first: ${where}`);
    sentence = message.slice(prefix.length);
  }
  assert.match(sentence, /^[A-Z]/, `message is not sentence case: ${where}`);
  for (const mention of mentions) {
    if (typeof mention === "string") {
      assert.ok(message.includes(mention), `message should mention ${mention}: ${where}`);
    } else {
      assert.match(message, mention, `message should match ${mention}: ${where}`);
    }
  }
}

// ---- what a server holds --------------------------------------------------------------------

/** What must not change when a request is refused. */
interface Snapshot {
  readonly assets: number;
  readonly manifests: number;
  readonly blobs: string[];
  readonly version: number;
  readonly assetCount: number;
}

async function snapshot(
  server: TestServer,
  manifestId: string,
  headers: Record<string, string> = {},
): Promise<Snapshot> {
  const reply = await sendJson(
    server,
    "snapshot",
    "GET",
    `/api/manifests/${manifestId}`,
    undefined,
    headers,
  );
  assert.equal(reply.status, 200, reply.text);
  return {
    assets: server.countRows("assets"),
    manifests: server.countRows("manifests"),
    blobs: await server.listBlobs(),
    version: reply.body.version,
    assetCount: reply.body.asset_count,
  };
}

/** Asserts that no row, blob, version or count changed since `before`. */
async function assertNothingStored(
  server: TestServer,
  manifestId: string,
  before: Snapshot,
  headers: Record<string, string> = {},
): Promise<void> {
  const after = await snapshot(server, manifestId, headers);
  assert.equal(after.assets, before.assets, "an asset row was left behind");
  assert.equal(after.manifests, before.manifests, "a manifest row was left behind");
  assert.deepEqual(after.blobs, before.blobs, "a blob was left behind (or removed)");
  assert.equal(after.version, before.version, "the manifest's version changed");
  assert.equal(after.assetCount, before.assetCount, "the manifest's asset_count changed");
}

async function createManifest(
  server: TestServer,
  name: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const reply = await sendJson(server, "create manifest", "POST", "/api/manifests", {
    name,
  }, headers);
  assert.equal(reply.status, 201, reply.text);
  return reply.body.id;
}

async function uploadOne(
  server: TestServer,
  manifestId: string,
  name: string,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const reply = await sendForm(
    server,
    `upload ${name}`,
    `/api/manifests/${manifestId}/uploads`,
    multipart([{ name, bytes }]),
    headers,
  );
  assert.equal(reply.status, 201, reply.text);
  return reply.body.items[0];
}

// ---- building bad files -------------------------------------------------------------------------

const encoder = new TextEncoder();

/** A multipart body written byte for byte, so odd file names reach the server unchanged. */
interface RawMultipart {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
}

function rawMultipart(
  parts: readonly { field: string; filename?: string; type?: string; bytes: Uint8Array }[],
): RawMultipart {
  const boundary = `----bad-input-${crypto.randomUUID()}`;
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? "" : `; filename="${part.filename}"`;
    const type = part.type === undefined ? "" : `\r\nContent-Type: ${part.type}`;
    chunks.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"${filename}` +
          `${type}\r\n\r\n`,
      ),
      part.bytes,
      encoder.encode("\r\n"),
    );
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  return { body: concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The CRC-32 PNG puts after each chunk. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat([encoder.encode(type), data]);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(typed, 4);
  view.setUint32(8 + data.length, crc32(typed));
  return out;
}

/**
 * A black 1-bit greyscale PNG of `width`×`height`: a few kilobytes on the wire however many
 * pixels it claims, i.e. a decompression bomb when the size is large.
 */
async function blackPng(width: number, height: number): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte "None" + packed pixels, all zero
  const rowsPerChunk = 100;
  let rowsLeft = height;
  const rows = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (rowsLeft === 0) return controller.close();
      const n = Math.min(rowsPerChunk, rowsLeft);
      rowsLeft -= n;
      controller.enqueue(new Uint8Array(rowBytes * n));
    },
  });
  const idat = new Uint8Array(
    await new Response(rows.pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/** A valid 1×1 GIF89a. */
const GIF_1X1 = new Uint8Array([
  ...encoder.encode("GIF89a"),
  0x01,
  0x00,
  0x01,
  0x00,
  0x80,
  0x00,
  0x00, // screen 1×1, global colour table of 2
  0xff,
  0xff,
  0xff,
  0x00,
  0x00,
  0x00, // white, black
  0x2c,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x01,
  0x00,
  0x00, // image descriptor
  0x02,
  0x02,
  0x44,
  0x01,
  0x00, // LZW min code size 2, one data block, terminator
  0x3b, // trailer
]);

const SVG = encoder.encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
    '<rect width="10" height="10" fill="red"/></svg>\n',
);

// ---- uploads ------------------------------------------------------------------------------------

Deno.test("bad uploads are refused with a 4xx JSON error and leave nothing behind", async (t) => {
  const server = await startTestServer();
  try {
    const manifestId = await createManifest(server, "Bad uploads");
    // A real image first, so the blob store is not trivially empty, and a positive control
    // for the PNG builder used by the pixel-bomb case.
    const control = await uploadOne(server, manifestId, "control.png", await blackPng(64, 48));
    assert.equal(control.mime, "image/png");
    assert.deepEqual([control.width, control.height], [64, 48]);
    const assetId: string = control.id;
    const sample1 = await fixturePhoto("sample1.jpg");
    const batchPath = `/api/manifests/${manifestId}/uploads`;
    const singlePath = `/api/assets/${assetId}/upload`;
    const before = await snapshot(server, manifestId);
    assert.ok(before.blobs.length >= 2, "the control upload stored its image and thumbnail");

    /** Uploads one file to both endpoints; both must answer the same error. */
    const refusedOnBothEndpoints = async (
      file: { name: string; bytes: Uint8Array; type?: string },
      status: number,
      code: string,
      mentions: readonly (string | RegExp)[],
    ): Promise<void> => {
      for (const path of [batchPath, singlePath]) {
        const reply = await sendForm(server, `${file.name} → ${path}`, path, multipart([file]));
        assertError(reply, status, code, mentions, { file: file.name });
        await assertNothingStored(server, manifestId, before);
      }
    };

    await t.step("1. a zero-byte file → 422 empty_file", async () => {
      await refusedOnBothEndpoints(
        { name: "empty.jpg", bytes: new Uint8Array() },
        422,
        "empty_file",
        ["empty"],
      );
    });

    await t.step("2. a text file named .jpg sent as image/jpeg → 415", async () => {
      await refusedOnBothEndpoints(
        {
          name: "notes.jpg",
          bytes: encoder.encode("Shopping list: eggs, milk, bread.\n"),
          type: "image/jpeg",
        },
        415,
        "unsupported_image_format",
        ["not a JPEG, PNG or WebP image"],
      );
    });

    await t.step("3. a truncated JPEG → 422 corrupt_image", async () => {
      await refusedOnBothEndpoints(
        { name: "half.jpg", bytes: sample1.slice(0, Math.floor(sample1.length / 2)) },
        422,
        "corrupt_image",
        ["could not be decoded", "truncated"],
      );
    });

    await t.step("4. a 20000×20000 PNG of a few kB → 422 image_too_large", async () => {
      const bomb = await blackPng(20_000, 20_000);
      assert.ok(bomb.length < 1024 * 1024, `the bomb is small on the wire (${bomb.length} B)`);
      await refusedOnBothEndpoints(
        { name: "bomb.png", bytes: bomb, type: "image/png" },
        422,
        "image_too_large",
        ["20000×20000", "MAX_IMAGE_PIXELS"],
      );
    });

    await t.step("5a. a GIF → 415 naming GIF", async () => {
      await refusedOnBothEndpoints(
        { name: "pixel.gif", bytes: GIF_1X1, type: "image/gif" },
        415,
        "unsupported_image_format",
        ["GIF"],
      );
    });

    await t.step("5b. an SVG → 415 naming SVG", async () => {
      await refusedOnBothEndpoints(
        { name: "drawing.svg", bytes: SVG, type: "image/svg+xml" },
        415,
        "unsupported_image_format",
        ["SVG"],
      );
    });

    await t.step("7a. a file name with ../ → 422 invalid_filename", async () => {
      // Deno's FormData serialises the name as is and its parser hands it over unchanged,
      // so the server really sees "../../etc/passwd.jpg".
      for (const name of ["../../etc/passwd.jpg", "..\\..\\boot.ini.jpg"]) {
        for (const path of [batchPath, singlePath]) {
          const form = rawMultipart([
            { field: "file", filename: name, type: "image/jpeg", bytes: sample1 },
          ]);
          const reply = await sendForm(server, `${name} → ${path}`, path, form);
          assertError(reply, 422, "invalid_filename", ["path or control characters"]);
          assert.equal(reply.body.error.details?.file, name, "details name the file as sent");
          await assertNothingStored(server, manifestId, before);
        }
      }
    });

    await t.step("7b. a file name with a control character → 422 invalid_filename", async () => {
      const name = "bell\u0007photo.jpg";
      for (const path of [batchPath, singlePath]) {
        const form = rawMultipart([
          { field: "file", filename: name, type: "image/jpeg", bytes: sample1 },
        ]);
        const reply = await sendForm(server, `control char → ${path}`, path, form);
        assertError(reply, 422, "invalid_filename", ["control characters"]);
        await assertNothingStored(server, manifestId, before);
      }
    });

    await t.step("7c. a file name with a NUL character → 400 malformed_multipart", async () => {
      // A NUL can never reach the handler: Deno's multipart parser rejects the part's
      // Content-Disposition header ("Invalid header value"), so the server answers 400.
      const name = "nul\u0000.jpg";
      for (const path of [batchPath, singlePath]) {
        const form = rawMultipart([
          { field: "file", filename: name, type: "image/jpeg", bytes: sample1 },
        ]);
        const reply = await sendForm(server, `NUL → ${path}`, path, form);
        assertError(reply, 400, "malformed_multipart", ["multipart body could not be parsed"]);
        // Deno's FormData sends the NUL as is too, with the same outcome.
        const viaFormData = multipart([{ name, bytes: sample1 }]);
        const again = await sendForm(server, `NUL via FormData → ${path}`, path, viaFormData);
        assertError(again, 400, "malformed_multipart", ["multipart body could not be parsed"]);
        await assertNothingStored(server, manifestId, before);
      }
    });

    await t.step("7d. a batch where 1 of 3 files is bad stores nothing", async () => {
      const good = [
        { name: "two.jpg", bytes: await fixturePhoto("sample2.jpg") },
        { name: "three.jpg", bytes: await fixturePhoto("sample3.jpg") },
      ];
      const half = sample1.slice(0, Math.floor(sample1.length / 2));
      for (const badAt of [0, 1, 2]) {
        const files = [...good];
        files.splice(badAt, 0, { name: "half.jpg", bytes: half });
        const reply = await sendForm(
          server,
          `batch bad at ${badAt}`,
          batchPath,
          multipart(files),
        );
        assertError(reply, 422, "corrupt_image", ["could not be decoded"], { file: "half.jpg" });
        assert.equal(reply.body.error.details?.index, badAt, "details give the bad file's index");
        await assertNothingStored(server, manifestId, before);
      }
      // The same with a bad name instead of bad bytes.
      const form = rawMultipart([
        { field: "file", filename: "two.jpg", type: "image/jpeg", bytes: good[0].bytes },
        { field: "file", filename: "../three.jpg", type: "image/jpeg", bytes: good[1].bytes },
        { field: "file", filename: "pixel.gif", type: "image/gif", bytes: GIF_1X1 },
      ]);
      const reply = await sendForm(server, "batch with a bad name", batchPath, form);
      assertError(reply, 422, "invalid_filename", ["../three.jpg"]);
      await assertNothingStored(server, manifestId, before);
      // And a batch of good files whose per-file fields do not match.
      const mismatch = multipart(good, [["asset_type", "PROP"], ["asset_type", "OBJECT"], [
        "asset_type",
        "STYLE",
      ]]);
      const fields = await sendForm(server, "batch with 3 types for 2 files", batchPath, mismatch);
      assertError(fields, 422, "per_file_mismatch", ["asset_type"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("10d. an unknown asset_type in a batch form → 422 naming it", async () => {
      const form = multipart([{ name: "two.jpg", bytes: await fixturePhoto("sample2.jpg") }], [[
        "asset_type",
        "ALIEN",
      ]]);
      const reply = await sendForm(server, "batch asset_type ALIEN", batchPath, form);
      assertError(reply, 422, "validation_failed", ["asset_type"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("13a. JSON instead of multipart on an upload endpoint → 415", async () => {
      for (const path of [batchPath, singlePath]) {
        const reply = await sendJson(server, `JSON → ${path}`, "POST", path, { file: "x.jpg" });
        assertError(reply, 415, "multipart_required", ["multipart/form-data", "file"]);
        await assertNothingStored(server, manifestId, before);
      }
      const raw = await send(server, "raw image body → batch", batchPath, {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: sample1 as Uint8Array<ArrayBuffer>,
      });
      assertError(raw, 415, "multipart_required", ["multipart/form-data"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("13b. multipart without a `file` part → 422 file_required", async () => {
      for (const path of [batchPath, singlePath]) {
        const onlyText = multipart([], [["name", "Nothing attached"]]);
        const reply = await sendForm(server, `no file part → ${path}`, path, onlyText);
        assertError(reply, 422, "file_required", ["`file`"]);
        // A text field called `file` is not a file either.
        const textFile = rawMultipart([{ field: "file", bytes: encoder.encode("photo.jpg") }]);
        const text = await sendForm(server, `text file field → ${path}`, path, textFile);
        assertError(text, 422, "file_required", ["`file`"]);
        // And a part under another field name is ignored, not stored.
        const wrongField = rawMultipart([
          { field: "image", filename: "one.jpg", type: "image/jpeg", bytes: sample1 },
        ]);
        const wrong = await sendForm(server, `wrong field name → ${path}`, path, wrongField);
        assertError(wrong, 422, "file_required", ["`file`"]);
        await assertNothingStored(server, manifestId, before);
      }
    });

    await t.step("13c. a broken multipart body → 4xx, nothing stored", async () => {
      // No boundary in the content type: the parser throws, the server answers 400.
      const noBoundary = await send(server, "multipart without boundary", batchPath, {
        method: "POST",
        headers: { "content-type": "multipart/form-data" },
        body: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n',
      });
      assertError(noBoundary, 400, "malformed_multipart", ["could not be parsed"]);
      await assertNothingStored(server, manifestId, before);
      // Cut off mid-part: a truncated upload is malformed (400), not "no file" (422).
      const whole = rawMultipart([
        { field: "file", filename: "one.jpg", type: "image/jpeg", bytes: sample1 },
      ]);
      const cut = { ...whole, body: whole.body.slice(0, Math.floor(whole.body.length / 2)) };
      const reply = await sendForm(server, "cut-off multipart", batchPath, cut);
      assertError(reply, 400, "malformed_multipart", ["could not be parsed", "cut off"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("control: the good files are accepted afterwards", async () => {
      // Proves the refusals above were about the bad input, not a broken endpoint.
      const reply = await sendForm(
        server,
        "good batch",
        batchPath,
        multipart([{ name: "two.jpg", bytes: await fixturePhoto("sample2.jpg") }]),
      );
      assert.equal(reply.status, 201, reply.text);
      const after = await snapshot(server, manifestId);
      assert.equal(after.assets, before.assets + 1);
      assert.equal(after.assetCount, before.assetCount + 1);
      assert.ok(after.version > before.version);
    });
  } finally {
    await server.close();
  }
});

Deno.test("6. an upload over MAX_UPLOAD_MB → 413 payload_too_large, nothing stored", async (t) => {
  const server = await startTestServer({ MAX_UPLOAD_MB: "1" });
  try {
    const manifestId = await createManifest(server, "Size limit");
    const small = await uploadOne(
      server,
      manifestId,
      "small.jpg",
      await fixturePhoto("psmove.jpg"),
    );
    const before = await snapshot(server, manifestId);
    const big = new Uint8Array(1536 * 1024);
    for (let at = 0; at < big.length; at += 65536) {
      crypto.getRandomValues(big.subarray(at, at + 65536));
    }
    // Starts as a JPEG, so only its size is wrong.
    big.set([0xff, 0xd8, 0xff, 0xe0]);

    for (
      const path of [`/api/manifests/${manifestId}/uploads`, `/api/assets/${small.id}/upload`]
    ) {
      await t.step(`${path} with a content-length`, async () => {
        const reply = await sendForm(
          server,
          `1.5 MB → ${path}`,
          path,
          multipart([{ name: "big.jpg", bytes: big }]),
        );
        assertError(reply, 413, "payload_too_large", ["1 MB", "MAX_UPLOAD_MB"]);
        await assertNothingStored(server, manifestId, before);
      });

      await t.step(`${path} streamed without a content-length`, async () => {
        const form = rawMultipart([
          { field: "file", filename: "big.jpg", type: "image/jpeg", bytes: big },
        ]);
        let offset = 0;
        const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
          pull(controller) {
            if (offset >= form.body.length) return controller.close();
            controller.enqueue(form.body.slice(offset, offset + 64 * 1024));
            offset += 64 * 1024;
          },
        });
        const reply = await send(server, `1.5 MB streamed → ${path}`, path, {
          method: "POST",
          headers: { "content-type": form.contentType },
          body: stream,
        });
        assertError(reply, 413, "payload_too_large", ["1 MB", "MAX_UPLOAD_MB"]);
        await assertNothingStored(server, manifestId, before);
      });
    }

    await t.step("a JSON body over 1 MB → 413", async () => {
      const reply = await sendJson(server, "2 MB JSON", "POST", "/api/manifests", {
        name: "Huge",
        description: "x".repeat(2 * 1024 * 1024),
      });
      assertError(reply, 413, "payload_too_large", ["MB"]);
      await assertNothingStored(server, manifestId, before);
    });
  } finally {
    await server.close();
  }
});

// ---- JSON bodies --------------------------------------------------------------------------------

Deno.test("bad JSON bodies are refused with 400/422 naming the problem", async (t) => {
  const server = await startTestServer();
  try {
    const manifestId = await createManifest(server, "Validation");
    const asset = await sendJson(
      server,
      "create asset",
      "POST",
      `/api/manifests/${manifestId}/assets`,
      { name: "Hero" },
    );
    assert.equal(asset.status, 201, asset.text);
    const assetId: string = asset.body.id;
    const before = await snapshot(server, manifestId);

    /** Sends the raw text as an application/json body. */
    const rawJson = (label: string, method: string, path: string, text: string) =>
      send(server, label, path, {
        method,
        headers: { "content-type": "application/json" },
        body: text,
      });

    await t.step("8a. malformed JSON → 400 malformed_request", async () => {
      for (
        const [method, path] of [
          ["POST", "/api/manifests"],
          ["PUT", `/api/manifests/${manifestId}`],
          ["POST", `/api/manifests/${manifestId}/assets`],
          ["PUT", `/api/assets/${assetId}`],
        ]
      ) {
        for (const text of ["{bad", '{"name": "x",}', ""]) {
          const reply = await rawJson(
            `${method} ${path} ${JSON.stringify(text)}`,
            method,
            path,
            text,
          );
          assertError(reply, 400, "malformed_request", ["JSON"]);
        }
      }
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("8b. JSON of the wrong shape → 422 validation_failed", async () => {
      for (const text of ["[1, 2, 3]", '"a manifest"', "42", "null", '{"name": 5}', "{}"]) {
        const reply = await rawJson(`POST /api/manifests ${text}`, "POST", "/api/manifests", text);
        assertError(reply, 422, "validation_failed", ["request body is not valid"]);
      }
      const named = await sendJson(server, "name: 5", "POST", "/api/manifests", { name: 5 });
      assertError(named, 422, "validation_failed", ["name"]);
      assert.ok(
        named.body.error.details.issues.some((i: { path: string }) => i.path === "name"),
        named.text,
      );
      const tags = await sendJson(server, "tags: string", "PUT", `/api/manifests/${manifestId}`, {
        tags: "a,b",
      });
      assertError(tags, 422, "validation_failed", ["tags"]);
      const empty = await sendJson(server, "empty PUT", "PUT", `/api/manifests/${manifestId}`, {});
      assertError(empty, 422, "validation_failed", ["at least one"]);
      const emptyAsset = await sendJson(
        server,
        "empty asset PUT",
        "PUT",
        `/api/assets/${assetId}`,
        {},
      );
      assertError(emptyAsset, 422, "validation_failed", ["at least one"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("10a. an unknown category → 422 naming category", async () => {
      const create = await sendJson(server, "category FOO", "POST", "/api/manifests", {
        name: "Foo",
        category: "FOO",
      });
      assertError(create, 422, "validation_failed", ["category", "CHARACTERS"]);
      const update = await sendJson(
        server,
        "PUT category FOO",
        "PUT",
        `/api/manifests/${manifestId}`,
        {
          category: "FOO",
        },
      );
      assertError(update, 422, "validation_failed", ["category"]);
      const list = await send(server, "list category FOO", "/api/manifests?category=FOO");
      assertError(list, 422, "validation_failed", ["category"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("10b. an unknown asset_type → 422 naming asset_type", async () => {
      const create = await sendJson(
        server,
        "asset_type ALIEN",
        "POST",
        `/api/manifests/${manifestId}/assets`,
        { name: "Zorg", asset_type: "ALIEN" },
      );
      assertError(create, 422, "validation_failed", ["asset_type", "CHARACTER"]);
      const update = await sendJson(
        server,
        "PUT asset_type ALIEN",
        "PUT",
        `/api/assets/${assetId}`,
        {
          asset_type: "ALIEN",
        },
      );
      assertError(update, 422, "validation_failed", ["asset_type"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("10c. an empty or blank name → 422 naming name", async () => {
      for (const name of ["", "   ", "\t\n"]) {
        for (
          const [method, path] of [
            ["POST", "/api/manifests"],
            ["PUT", `/api/manifests/${manifestId}`],
            ["POST", `/api/manifests/${manifestId}/assets`],
            ["PUT", `/api/assets/${assetId}`],
          ]
        ) {
          const reply = await sendJson(
            server,
            `${method} ${path} name ${JSON.stringify(name)}`,
            method,
            path,
            {
              name,
            },
          );
          assertError(reply, 422, "validation_failed", ["name"]);
        }
      }
      const long = await sendJson(server, "name too long", "POST", "/api/manifests", {
        name: "x".repeat(201),
      });
      assertError(long, 422, "validation_failed", ["name"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("10d. an unknown extra field → 422 naming it", async () => {
      for (
        const [method, path] of [
          ["POST", "/api/manifests"],
          ["PUT", `/api/manifests/${manifestId}`],
          ["POST", `/api/manifests/${manifestId}/assets`],
          ["PUT", `/api/assets/${assetId}`],
        ]
      ) {
        const reply = await sendJson(server, `${method} ${path} + colour`, method, path, {
          name: "Fine",
          colour: "red",
        });
        assertError(reply, 422, "validation_failed", ["colour"]);
      }
      // A field that exists only on the response is not writable either.
      const status = await sendJson(server, "PUT status", "PUT", `/api/manifests/${manifestId}`, {
        status: "READY",
      });
      assertError(status, 422, "validation_failed", ["status"]);
      await assertNothingStored(server, manifestId, before);
    });

    await t.step("bad query strings → 422 naming the parameter", async () => {
      const sort = await send(server, "sort=colour", "/api/manifests?sort=colour");
      assertError(sort, 422, "validation_failed", ["sort"]);
      const limit = await send(server, "limit=-1", "/api/manifests?limit=-1");
      assertError(limit, 422, "validation_failed", ["limit"]);
      const size = await send(
        server,
        "thumbnail size=13",
        `/api/assets/${assetId}/thumbnail?size=13`,
      );
      assertError(size, 422, "validation_failed", ["size"]);
    });
  } finally {
    await server.close();
  }
});

// ---- unknown ids and routes -------------------------------------------------------------------

Deno.test("unknown and malformed ids → 404; unknown routes → 404", async (t) => {
  const server = await startTestServer();
  try {
    // Something real in the database, so "not found" is not just "the table is empty".
    const manifestId = await createManifest(server, "Real");
    const real = await uploadOne(server, manifestId, "real.jpg", await fixturePhoto("psmove.jpg"));
    const before = await snapshot(server, manifestId);
    const sample = await fixturePhoto("sample1.jpg");

    // "../etc" is percent-encoded, or the client would resolve the dots away.
    const ids = [crypto.randomUUID(), "not-a-uuid", encodeURIComponent("../etc")];
    for (const id of ids) {
      const shown = decodeURIComponent(id);
      await t.step(`9. id ${JSON.stringify(shown)}`, async () => {
        const cases: [string, string, "manifest" | "asset", unknown?][] = [
          ["GET", `/api/manifests/${id}`, "manifest"],
          ["PUT", `/api/manifests/${id}`, "manifest", { name: "Renamed" }],
          ["DELETE", `/api/manifests/${id}`, "manifest"],
          ["GET", `/api/manifests/${id}/assets`, "manifest"],
          ["POST", `/api/manifests/${id}/assets`, "manifest", { name: "New" }],
          ["GET", `/api/manifests/${id}/identities`, "manifest"],
          ["GET", `/api/assets/${id}`, "asset"],
          ["PUT", `/api/assets/${id}`, "asset", { name: "Renamed" }],
          ["DELETE", `/api/assets/${id}`, "asset"],
          ["GET", `/api/assets/${id}/image`, "asset"],
          ["GET", `/api/assets/${id}/thumbnail`, "asset"],
        ];
        for (const [method, path, what, body] of cases) {
          const reply = await sendJson(server, `${method} ${path}`, method, path, body);
          assertError(reply, 404, `${what}_not_found`, [shown, "does not exist"]);
        }
        const uploads: [string, "manifest" | "asset"][] = [
          [`/api/manifests/${id}/uploads`, "manifest"],
          [`/api/assets/${id}/upload`, "asset"],
        ];
        for (const [path, what] of uploads) {
          const form = multipart([{ name: "one.jpg", bytes: sample }]);
          const reply = await sendForm(server, `POST ${path}`, path, form);
          assertError(reply, 404, `${what}_not_found`, [shown, "does not exist"]);
        }
        await assertNothingStored(server, manifestId, before);
      });
    }

    await t.step("9. the real ids still work (control)", async () => {
      const reply = await send(server, "real image", `/api/assets/${real.id}/image`);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get("content-type"), "image/jpeg");
    });

    await t.step("9. an asset without an image → 404 asset_has_no_image", async () => {
      const bare = await sendJson(
        server,
        "bare asset",
        "POST",
        `/api/manifests/${manifestId}/assets`,
        {
          name: "Bare",
        },
      );
      assert.equal(bare.status, 201, bare.text);
      for (const suffix of ["image", "thumbnail"]) {
        const reply = await send(server, `bare ${suffix}`, `/api/assets/${bare.body.id}/${suffix}`);
        assertError(reply, 404, "asset_has_no_image", ["has no image", "upload"]);
      }
    });

    await t.step("14. unknown routes under /api → 404 route_not_found", async () => {
      for (
        const [method, path] of [
          ["GET", "/api/does-not-exist"],
          ["POST", "/api/manifests/whatever/explode"],
          ["PATCH", "/api/manifests"],
          ["GET", "/api"],
        ]
      ) {
        const reply = await sendJson(server, `${method} ${path}`, method, path);
        assertError(reply, 404, "route_not_found", [path, "/openapi.json"]);
      }
    });
  } finally {
    await server.close();
  }
});

// ---- state conflicts ----------------------------------------------------------------------------

Deno.test("11. mutations of a PROCESSING manifest → 409 naming the job", async (t) => {
  const server = await startTestServer();
  try {
    const manifestId = await createManifest(server, "Busy");
    const asset = await uploadOne(server, manifestId, "one.jpg", await fixturePhoto("sample1.jpg"));
    const jobId = crypto.randomUUID();
    const db = new DatabaseSync(databasePath(server.dataDir), { timeout: 5000 });
    try {
      db.prepare("UPDATE manifests SET status = 'PROCESSING' WHERE id = ?").run(manifestId);
      db.prepare(
        "INSERT INTO jobs (id, kind, target_id, serial_key, status, created_at) " +
          "VALUES (?, ?, ?, ?, ?, ?)",
      ).run(jobId, "process_manifest", manifestId, manifestId, "running", new Date().toISOString());
    } finally {
      db.close();
    }
    const before = await snapshot(server, manifestId);
    const sample2 = await fixturePhoto("sample2.jpg");

    const cases: [string, () => Promise<Reply>][] = [
      [
        "PUT manifest",
        () =>
          sendJson(server, "PUT manifest", "PUT", `/api/manifests/${manifestId}`, {
            name: "Renamed",
          }),
      ],
      [
        "DELETE manifest",
        () => sendJson(server, "DELETE manifest", "DELETE", `/api/manifests/${manifestId}`),
      ],
      [
        "POST assets",
        () =>
          sendJson(server, "POST assets", "POST", `/api/manifests/${manifestId}/assets`, {
            name: "New",
          }),
      ],
      [
        "batch upload",
        () =>
          sendForm(
            server,
            "batch upload",
            `/api/manifests/${manifestId}/uploads`,
            multipart([{ name: "two.jpg", bytes: sample2 }]),
          ),
      ],
      [
        "single upload",
        () =>
          sendForm(
            server,
            "single upload",
            `/api/assets/${asset.id}/upload`,
            multipart([{ name: "two.jpg", bytes: sample2 }]),
          ),
      ],
      [
        "PUT asset",
        () => sendJson(server, "PUT asset", "PUT", `/api/assets/${asset.id}`, { name: "Renamed" }),
      ],
      ["DELETE asset", () => sendJson(server, "DELETE asset", "DELETE", `/api/assets/${asset.id}`)],
    ];
    for (const [label, request] of cases) {
      await t.step(`${label} → 409 manifest_processing`, async () => {
        const reply = await request();
        assertError(reply, 409, "manifest_processing", ["PROCESSING", jobId, manifestId]);
        assert.equal(reply.body.error.details?.job_id, jobId, reply.text);
        await assertNothingStored(server, manifestId, before);
      });
    }

    await t.step("reads still work while PROCESSING, and nothing changed", async () => {
      const manifest = await sendJson(server, "GET busy", "GET", `/api/manifests/${manifestId}`);
      assert.equal(manifest.status, 200);
      assert.equal(manifest.body.status, "PROCESSING");
      assert.equal(manifest.body.name, "Busy");
      const read = await sendJson(server, "GET busy asset", "GET", `/api/assets/${asset.id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.name, asset.name);
      assert.equal(read.body.width, asset.width);
    });
  } finally {
    await server.close();
  }
});

// ---- authentication -----------------------------------------------------------------------------

Deno.test("12. AUTH_TOKEN: missing or wrong token → 401, never echoing the token", async (t) => {
  const token = "s3cret-token-123";
  const server = await startTestServer({ AUTH_TOKEN: token });
  const bearer = { authorization: `Bearer ${token}` };
  const firstReply = observed.length;
  try {
    await t.step("no header → 401 token_missing", async () => {
      for (const path of ["/api/manifests", `/api/assets/${crypto.randomUUID()}/image`]) {
        const reply = await send(server, `no token ${path}`, path);
        assertError(reply, 401, "token_missing", ["Authorization: Bearer", "access token"]);
      }
      const post = await sendJson(server, "no token POST", "POST", "/api/manifests", {
        name: "Sneaky",
      });
      assertError(post, 401, "token_missing", ["access token"]);
      assert.equal(server.countRows("manifests"), 0);
    });

    await t.step("a wrong bearer → 401 token_invalid", async () => {
      for (
        const wrong of [
          "nope-not-it",
          `${token}x`,
          token.slice(0, -1),
          token.toUpperCase(),
          `${token.slice(0, -1)}4`,
        ]
      ) {
        const reply = await send(server, `wrong token ${wrong}`, "/api/manifests", {
          headers: { authorization: `Bearer ${wrong}` },
        });
        assertError(reply, 401, "token_invalid", ["access token is wrong"]);
        assert.ok(!reply.text.includes(wrong), `the presented token is echoed: ${reply.text}`);
      }
      const basic = await send(server, "Basic auth", "/api/manifests", {
        headers: { authorization: `Basic ${btoa(`user:${token}`)}` },
      });
      assert.equal(basic.status, 401, basic.text);
      const post = await sendJson(server, "wrong token POST", "POST", "/api/manifests", {
        name: "Sneaky",
      }, { authorization: "Bearer wrong" });
      assertError(post, 401, "token_invalid", ["access token"]);
      assert.equal(server.countRows("manifests"), 0);
    });

    await t.step("the right bearer → 200; ?token= works on an image URL", async () => {
      const list = await send(server, "right token", "/api/manifests", { headers: bearer });
      assert.equal(list.status, 200, list.text);
      const manifestId = await createManifest(server, "Authorised", bearer);
      const asset = await uploadOne(
        server,
        manifestId,
        "one.jpg",
        await fixturePhoto("psmove.jpg"),
        bearer,
      );
      const image = await send(
        server,
        "image ?token=",
        `${asset.reference_image_url}?token=${encodeURIComponent(token)}`,
      );
      assert.equal(image.status, 200);
      assert.equal(image.headers.get("content-type"), "image/jpeg");
      const thumb = await send(
        server,
        "thumbnail &token=",
        `${asset.thumbnail_url}&token=${encodeURIComponent(token)}`,
      );
      assert.equal(thumb.status, 200);
      const wrong = await send(
        server,
        "image ?token=wrong",
        `${asset.reference_image_url}?token=no`,
      );
      assertError(wrong, 401, "token_invalid", ["access token"]);
      const none = await send(server, "image no token", asset.reference_image_url);
      assertError(none, 401, "token_missing", ["access token"]);

      // Errors after authentication do not echo the token from the query string either.
      const missing = await send(
        server,
        "unknown asset ?token=",
        `/api/assets/${crypto.randomUUID()}/image?token=${token}`,
      );
      assertError(missing, 404, "asset_not_found", ["does not exist"]);
      const route = await send(server, "unknown route ?token=", `/api/nope?token=${token}`);
      assertError(route, 404, "route_not_found", ["/api/nope"]);
      const invalid = await sendJson(
        server,
        "invalid body with token",
        "POST",
        "/api/manifests",
        { name: token, category: token },
        bearer,
      );
      assertError(invalid, 422, "validation_failed", ["category"]);
    });

    await t.step("/healthz works without a token", async () => {
      const reply = await send(server, "healthz", "/healthz");
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.body, { status: "ok" });
    });

    await t.step("the token never appears in an error body", () => {
      const errors = observed.slice(firstReply).filter((r) => r.status >= 400);
      assert.ok(errors.length >= 10, `expected many error replies, saw ${errors.length}`);
      for (const reply of errors) {
        assert.ok(!reply.text.includes(token), `${reply.label} leaks the token: ${reply.text}`);
      }
    });
  } finally {
    await server.close();
  }
});

// ---- never a 500 --------------------------------------------------------------------------------

Deno.test("no bad input above was answered with a 5xx", () => {
  assert.ok(observed.length > 100, `expected the tests above to run first (${observed.length})`);
  const failures = observed.filter((r) => r.status >= 500);
  assert.deepEqual(
    failures.map((r) => `${r.label} → ${r.status} ${r.text.slice(0, 300)}`),
    [],
    "bad input must get a 4xx, never a 5xx",
  );
});
