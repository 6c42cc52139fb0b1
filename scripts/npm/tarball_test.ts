import assert from "node:assert/strict";
import { fetchPackageFiles } from "./tarball.ts";
import { sha256Hex } from "../../src/storage/sha256.ts";
import { fileExists } from "../../src/storage/file_exists.ts";

const NAME = "@test/pkg";
const VERSION = "1.0.0";
const encoder = new TextEncoder();

// Paths over 100 characters need one of the three long-name mechanisms tar writers use.
const DEEP = `${"deeply-nested-directory/".repeat(5)}more`;
const GNU_PATH = `${DEEP}/gnu-long-name.bin`;
const PAX_PATH = `${DEEP}/pax-long-name.txt`;
const PREFIX_PATH = `${DEEP}/ustar-prefix.txt`;

const CONTENTS: Record<string, Uint8Array> = {
  "package.json": encoder.encode(`{"name":"${NAME}","version":"${VERSION}"}`),
  "empty.txt": new Uint8Array(0),
  "big.bin": randomBytes(300_000), // Spans many decompressed chunks.
  [GNU_PATH]: Uint8Array.from({ length: 1000 }, (_, i) => i % 256),
  [PAX_PATH]: encoder.encode("written with a pax extended header"),
  [PREFIX_PATH]: encoder.encode("written with the ustar prefix field"),
};

Deno.test("sha256Hex returns the lowercase hex digest", async () => {
  assert.equal(
    await sha256Hex(encoder.encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("extracts requested files, long paths included, and caches the tarball", async () => {
  await using registry = await fakeRegistry(await buildTarball());
  await using cache = await tempDir();
  const files = Object.keys(CONTENTS);

  const result = await fetchPackageFiles({
    ...SPEC,
    files,
    cacheDir: cache.path,
    registry: registry.url,
  });

  assert.deepEqual([...result.keys()].sort(), [...files].sort());
  for (const file of files) assert.deepEqual(result.get(file), CONTENTS[file], file);
  assert.deepEqual(registry.requests, ["/@test%2fpkg/1.0.0", "/@test/pkg/-/pkg-1.0.0.tgz"]);
  const cached = await Deno.readTextFile(`${cache.path}/npm/${NAME}-${VERSION}.tgz.integrity`);
  assert.equal(cached.trim(), registry.integrity);
});

Deno.test("returns only the requested files", async () => {
  await using registry = await fakeRegistry(await buildTarball());
  await using cache = await tempDir();
  const result = await fetchPackageFiles({
    ...SPEC,
    files: ["./package.json"],
    cacheDir: cache.path,
    registry: registry.url,
  });
  assert.deepEqual([...result.keys()], ["./package.json"]);
});

Deno.test("a second call needs no network once the tarball is cached", async () => {
  await using cache = await tempDir();
  const registry = await fakeRegistry(await buildTarball());
  const options = { ...SPEC, files: [PAX_PATH], cacheDir: cache.path, registry: registry.url };
  await fetchPackageFiles(options);
  await registry[Symbol.asyncDispose]();

  const result = await fetchPackageFiles(options);
  assert.deepEqual(result.get(PAX_PATH), CONTENTS[PAX_PATH]);
});

Deno.test("refuses a tarball that does not match its published integrity", async () => {
  await using registry = await fakeRegistry(await buildTarball(), { integrity: "sha512-AAAA" });
  await using cache = await tempDir();
  await assert.rejects(
    fetchPackageFiles({
      ...SPEC,
      files: ["package.json"],
      cacheDir: cache.path,
      registry: registry.url,
    }),
    /^Error: The tarball of @test\/pkg@1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/.* does not match its published integrity sha512-AAAA\. It was not cached/,
  );
  assert.equal(await fileExists(`${cache.path}/npm/${NAME}-${VERSION}.tgz`), false);
});

Deno.test("deletes a corrupt cached tarball and downloads it again", async () => {
  await using cache = await tempDir();
  const tgz = `${cache.path}/npm/${NAME}-${VERSION}.tgz`;
  const registry = await fakeRegistry(await buildTarball());
  const options = {
    ...SPEC,
    files: ["package.json"],
    cacheDir: cache.path,
    registry: registry.url,
  };
  await fetchPackageFiles(options);

  await corrupt(tgz);
  await fetchPackageFiles(options);
  assert.equal(registry.requests.filter((path) => path.endsWith(".tgz")).length, 2);

  await registry[Symbol.asyncDispose]();
  await corrupt(tgz);
  await assert.rejects(fetchPackageFiles(options), /^Error: Could not download @test\/pkg@1\.0\.0/);
  assert.equal(await fileExists(tgz), false);
  assert.equal(await fileExists(`${tgz}.integrity`), false);
});

Deno.test("names every missing file", async () => {
  await using registry = await fakeRegistry(await buildTarball());
  await using cache = await tempDir();
  await assert.rejects(
    fetchPackageFiles({
      ...SPEC,
      files: ["package.json", "nope.txt", "lib/also-missing.js"],
      cacheDir: cache.path,
      registry: registry.url,
    }),
    {
      message:
        "Package @test/pkg@1.0.0 has no file nope.txt, lib/also-missing.js. Check the paths " +
        '(relative to the package root, without "package/").',
    },
  );
});

Deno.test("says how to recover when the registry is unreachable and nothing is cached", async () => {
  const registry = await fakeRegistry(await buildTarball());
  await registry[Symbol.asyncDispose]();
  await using cache = await tempDir();
  await assert.rejects(
    fetchPackageFiles({
      ...SPEC,
      files: ["package.json"],
      cacheDir: cache.path,
      registry: registry.url,
    }),
    (error: Error) => {
      assert.match(
        error.message,
        /^Could not download @test\/pkg@1\.0\.0 from http:\/\/127\.0\.0\.1:\d+: /,
      );
      assert.match(
        error.message,
        /\. Connect to the npm registry once; later runs use the cache in .+\/npm\.$/,
      );
      return true;
    },
  );
});

Deno.test("reports a version the registry does not have", async () => {
  await using registry = await fakeRegistry(await buildTarball());
  await using cache = await tempDir();
  await assert.rejects(
    fetchPackageFiles({
      ...SPEC,
      version: "9.9.9",
      files: ["a"],
      cacheDir: cache.path,
      registry: registry.url,
    }),
    {
      message:
        `Package @test/pkg@9.9.9 does not exist on ${registry.url}. Check the name and version.`,
    },
  );
});

Deno.test("takes the registry from NPM_CONFIG_REGISTRY", async () => {
  await using registry = await fakeRegistry(await buildTarball());
  await using cache = await tempDir();
  const previous = Deno.env.get("NPM_CONFIG_REGISTRY");
  Deno.env.set("NPM_CONFIG_REGISTRY", `${registry.url}/`);
  try {
    const result = await fetchPackageFiles({
      ...SPEC,
      files: ["package.json"],
      cacheDir: cache.path,
    });
    assert.deepEqual(result.get("package.json"), CONTENTS["package.json"]);
  } finally {
    if (previous === undefined) Deno.env.delete("NPM_CONFIG_REGISTRY");
    else Deno.env.set("NPM_CONFIG_REGISTRY", previous);
  }
});

Deno.test("rejects names that could escape the cache directory", async () => {
  await assert.rejects(
    fetchPackageFiles({ name: "../evil", version: "1.0.0", files: [], cacheDir: "unused" }),
    { message: '"../evil" is not a valid npm package name. Check the spelling.' },
  );
});

const SPEC = { name: NAME, version: VERSION };

/** A registry serving one version's metadata and tarball, recording the paths it was asked for. */
async function fakeRegistry(tgz: Uint8Array, overrides: { integrity?: string } = {}) {
  const integrity = overrides.integrity ?? await sriSha512(tgz);
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request): Response => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      if (path === "/@test%2fpkg/1.0.0") {
        return Response.json({
          name: NAME,
          version: VERSION,
          dist: { tarball: `${url}/@test/pkg/-/pkg-1.0.0.tgz`, integrity },
        });
      }
      if (path === "/@test/pkg/-/pkg-1.0.0.tgz") return new Response(tgz as BodyInit);
      return Response.json({ error: "Not found" }, { status: 404 });
    },
  );
  const url: string = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    integrity,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Builds package.tgz the way npm lays it out, exercising every long-path form. */
async function buildTarball(): Promise<Uint8Array> {
  const blocks: Uint8Array[] = [header("package/", 0, "5")];
  for (const [path, data] of Object.entries(CONTENTS)) {
    const full = `package/${path}`;
    if (path === GNU_PATH) {
      const name = encoder.encode(`${full}\0`);
      blocks.push(header("././@LongLink", name.length, "L"), padded(name));
      blocks.push(header(full.slice(0, 100), data.length, "0"));
    } else if (path === PAX_PATH) {
      const record = paxRecord("path", full);
      blocks.push(header("PaxHeader/long", record.length, "x"), padded(record));
      blocks.push(header(full.slice(0, 100), data.length, "0"));
    } else if (path === PREFIX_PATH) {
      const split = full.lastIndexOf("/");
      blocks.push(header(full.slice(split + 1), data.length, "0", full.slice(0, split)));
    } else {
      blocks.push(header(full, data.length, "0"));
    }
    blocks.push(padded(data));
  }
  blocks.push(new Uint8Array(1024));
  const gzipped = new Blob(blocks as BlobPart[]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(gzipped).arrayBuffer());
}

function header(name: string, size: number, type: string, prefix = ""): Uint8Array {
  assert.ok(
    encoder.encode(name).length <= 100 && prefix.length <= 155,
    `tar field too long: ${name}`,
  );
  const block = new Uint8Array(512);
  const put = (text: string, offset: number) => block.set(encoder.encode(text), offset);
  put(name, 0);
  put("0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(`${size.toString(8).padStart(11, "0")}\0`, 124);
  put("00000000000\0", 136);
  put("        ", 148);
  put(type, 156);
  put("ustar\0" + "00", 257);
  put(prefix, 345);
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

/** A pax record is `<length> key=value\n` where the length counts its own digits. */
function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  let length = encoder.encode(body).length;
  while (String(length).length + encoder.encode(body).length !== length) {
    length = String(length).length + encoder.encode(body).length;
  }
  return encoder.encode(`${length}${body}`);
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  }
  return bytes;
}

async function sriSha512(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes as BufferSource));
  return `sha512-${btoa(String.fromCharCode(...digest))}`;
}

async function tempDir() {
  const path = await Deno.makeTempDir({ prefix: "tarball_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

async function corrupt(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[bytes.length >> 1] ^= 0xff;
  await Deno.writeFile(path, bytes);
}
