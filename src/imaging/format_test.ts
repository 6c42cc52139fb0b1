import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { isAccepted, MIME_OF, sniffFormat } from "./format.ts";

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "string") { for (const ch of part) out.push(ch.charCodeAt(0)); }
    else out.push(...part);
  }
  return new Uint8Array(out);
};
const text = (s: string) => new TextEncoder().encode(s);

/** An ISO-BMFF `ftyp` box with the given major brand. */
const ftyp = (brand: string) => bytes([0, 0, 0, 0x18], "ftyp", brand, [0, 0, 0, 0], "mif1heic");

Deno.test("sniffFormat recognises a minimal JPEG header", () => {
  assert.equal(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], "JFIF")), "jpeg");
  assert.equal(sniffFormat(bytes([0xff, 0xd8, 0xff])), "jpeg");
  // Two bytes of SOI alone are not enough, and a wrong third byte is not JPEG.
  assert.equal(sniffFormat(bytes([0xff, 0xd8])), "unknown");
  assert.equal(sniffFormat(bytes([0xff, 0xd8, 0x00, 0xe0])), "unknown");
});

Deno.test("sniffFormat recognises a PNG signature and rejects a damaged one", () => {
  const png = bytes([0x89], "PNG", [0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 0x0d], "IHDR");
  assert.equal(sniffFormat(png), "png");
  const mangled = png.slice();
  mangled[4] = 0x0a; // CRLF converted to LF by a text-mode transfer
  assert.notEqual(sniffFormat(mangled), "png");
});

Deno.test("sniffFormat recognises WebP only with the WEBP form type in a RIFF container", () => {
  assert.equal(sniffFormat(bytes("RIFF", [0x24, 0, 0, 0], "WEBPVP8 ")), "webp");
  assert.equal(sniffFormat(bytes("RIFF", [0x24, 0, 0, 0], "WAVEfmt ")), "unknown");
  assert.equal(sniffFormat(bytes("RIFF", [0x24, 0, 0, 0], "WEB")), "unknown");
});

Deno.test("sniffFormat recognises the real fixture photos", async () => {
  const jpeg = await fixturePhoto("sample1.jpg");
  const png = await fixturePhoto("psmove.png");
  assert.equal(sniffFormat(jpeg), "jpeg");
  assert.equal(sniffFormat(png), "png");
  assert.equal(MIME_OF[sniffFormat(jpeg) as "jpeg"], "image/jpeg");
  assert.equal(MIME_OF[sniffFormat(png) as "png"], "image/png");
});

Deno.test("sniffFormat names GIF87a and GIF89a as gif", () => {
  assert.equal(sniffFormat(bytes("GIF87a", [1, 0, 1, 0])), "gif");
  assert.equal(sniffFormat(bytes("GIF89a", [1, 0, 1, 0])), "gif");
  assert.equal(sniffFormat(bytes("GIF88a", [1, 0, 1, 0])), "unknown");
});

Deno.test("sniffFormat names SVG with and without an XML prolog", () => {
  assert.equal(sniffFormat(text('<svg xmlns="http://www.w3.org/2000/svg"/>')), "svg");
  assert.equal(sniffFormat(text('\n  <SVG xmlns="http://www.w3.org/2000/svg"></SVG>')), "svg");
  assert.equal(
    sniffFormat(text('<?xml version="1.0" encoding="UTF-8"?>\n<svg width="1" height="1"/>')),
    "svg",
  );
  // An XML document that is not an SVG is not an image.
  assert.equal(sniffFormat(text('<?xml version="1.0"?><note>hi</note>')), "unknown");
});

Deno.test("sniffFormat names BMP, TIFF in both byte orders and PDF", () => {
  assert.equal(sniffFormat(bytes("BM", [0x36, 0, 0, 0])), "bmp");
  assert.equal(sniffFormat(bytes("II", [0x2a, 0], [8, 0, 0, 0])), "tiff");
  assert.equal(sniffFormat(bytes("MM", [0, 0x2a], [0, 0, 0, 8])), "tiff");
  // Mixed byte order is not TIFF.
  assert.equal(sniffFormat(bytes("II", [0, 0x2a], [0, 0, 0, 8])), "unknown");
  assert.equal(sniffFormat(text("%PDF-1.7\n%âãÏÓ\n")), "pdf");
});

Deno.test("sniffFormat names HEIC and AVIF from their ftyp brands", () => {
  for (const brand of ["heic", "heix", "hevc", "mif1", "msf1"]) {
    assert.equal(sniffFormat(ftyp(brand)), "heic", brand);
  }
  for (const brand of ["avif", "avis"]) assert.equal(sniffFormat(ftyp(brand)), "avif", brand);
  // An MP4 video is an ftyp box too, but not an image.
  assert.equal(sniffFormat(ftyp("isom")), "unknown");
});

Deno.test("sniffFormat returns unknown for text and for empty input", () => {
  assert.equal(sniffFormat(new Uint8Array()), "unknown");
  assert.equal(sniffFormat(text("hello, this is a plain text file\n")), "unknown");
  assert.equal(sniffFormat(text('{"not":"an image"}')), "unknown");
  assert.equal(sniffFormat(text("<html><body>svg</body></html>")), "unknown");
});

Deno.test("only JPEG, PNG and WebP are accepted, each with its MIME type", () => {
  assert.deepEqual(Object.keys(MIME_OF).sort(), ["jpeg", "png", "webp"]);
  assert.equal(MIME_OF.webp, "image/webp");
  for (const format of ["jpeg", "png", "webp"] as const) assert.equal(isAccepted(format), true);
  for (
    const format of ["gif", "svg", "bmp", "tiff", "heic", "avif", "pdf", "ico", "unknown"] as const
  ) {
    assert.equal(isAccepted(format), false, format);
  }
});
