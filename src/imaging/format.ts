/**
 * Recognises an image format from its first bytes, so the service decides what a file is
 * by its content and never by the client's content type or filename.
 *
 * @module
 */

/** Formats the service accepts. */
export type AcceptedFormat = "jpeg" | "png" | "webp";

/** Formats recognised only to be refused by name. */
export type RefusedFormat = "gif" | "svg" | "bmp" | "tiff" | "heic" | "avif" | "pdf" | "ico";

/** What the first bytes of a file say it is. */
export type SniffedFormat = AcceptedFormat | RefusedFormat | "unknown";

/** The MIME type stored and served for each accepted format. */
export const MIME_OF: Readonly<Record<AcceptedFormat, string>> = Object.freeze({
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
});

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, end));

/** Names the format of `bytes` from its signature. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === "\x89PNG\r\n\x1a\n") return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") {
    return "webp";
  }
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return "gif";
  if (bytes.length >= 2 && ascii(bytes, 0, 2) === "BM") return "bmp";
  if (bytes.length >= 4 && (ascii(bytes, 0, 4) === "II*\0" || ascii(bytes, 0, 4) === "MM\0*")) {
    return "tiff";
  }
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === "%PDF") return "pdf";
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1 && bytes[3] === 0) {
    return "ico";
  }
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (brand.startsWith("avi")) return "avif";
    if (/^(heic|heix|hevc|mif1|msf1)$/.test(brand)) return "heic";
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) {
    return "svg";
  }
  return "unknown";
}

/** Whether the service stores images of this format. */
export function isAccepted(format: SniffedFormat): format is AcceptedFormat {
  return format === "jpeg" || format === "png" || format === "webp";
}
