/**
 * Image operations on magick-wasm. They run inside pool workers only: decoding is CPU work
 * that must never block the request thread.
 *
 * @module
 */
import {
  AlphaAction,
  FilterType,
  type IMagickImage,
  initializeImageMagick,
  MagickColor,
  MagickFormat,
  MagickGeometry,
  MagickImage,
  MagickImageInfo,
  MagickReadSettings,
  Orientation,
} from "@imagemagick/magick-wasm";
import { AppError, invalid } from "../errors.ts";
import { type AcceptedFormat, isAccepted, MIME_OF, sniffFormat } from "./format.ts";
import { type RgbImage, rgbImage } from "./raster.ts";

/** Severity codes of ImageMagick warnings that mean the pixels are damaged. */
const CORRUPT_SEVERITIES = new Set([325, 330, 335, 340, 350]);

let initialized: Promise<void> | null = null;

/** Loads magick-wasm from the package's own `.wasm` file; safe to call repeatedly. */
export function initMagick(): Promise<void> {
  initialized ??= (async () => {
    const entry = import.meta.resolve("@imagemagick/magick-wasm");
    const wasm = await Deno.readFile(new URL("./x86/magick.wasm", entry));
    await initializeImageMagick(wasm);
  })();
  return initialized;
}

const MAGICK_FORMAT: Readonly<Record<AcceptedFormat, MagickFormat>> = Object.freeze({
  jpeg: MagickFormat.Jpeg,
  png: MagickFormat.Png,
  webp: MagickFormat.WebP,
});

/** What the service learns from an uploaded image. */
export interface InspectedImage {
  readonly format: AcceptedFormat;
  readonly mime: string;
  /** Size after EXIF orientation is applied. */
  readonly width: number;
  readonly height: number;
  /** The EXIF orientation the upload carried (1 = none). */
  readonly orientation: number;
  /** Upright re-encoding when the upload needed rotating, else `null` (store the upload). */
  readonly normalized: Uint8Array | null;
  /** A JPEG thumbnail whose longer side is `thumbnailSize`. */
  readonly thumbnail: Uint8Array;
}

/** Limits and outputs for {@linkcode inspectImage}. */
export interface InspectOptions {
  readonly maxPixels: number;
  readonly thumbnailSize: number;
}

/**
 * Verifies that `bytes` is a whole JPEG, PNG or WebP within the pixel limit, applies its
 * EXIF orientation and makes a thumbnail.
 *
 * @throws {AppError} 415 for other formats, 422 for empty, damaged or oversized images.
 */
export function inspectImage(bytes: Uint8Array, options: InspectOptions): InspectedImage {
  const format = checkFormat(bytes);
  checkPixelLimit(bytes, options.maxPixels);
  return withDecoded(bytes, (image) => {
    const orientation = Number(image.orientation) || 1;
    let normalized: Uint8Array | null = null;
    if (orientation > 1) {
      image.autoOrient();
      image.orientation = Orientation.TopLeft;
      normalized = format === "jpeg"
        ? writeJpeg(image, 92)
        : image.write(MAGICK_FORMAT[format], (data) => data.slice());
    }
    const { width, height } = image;
    // Last: the thumbnail is made by shrinking the decoded image itself.
    const thumbnail = writeThumbnail(image, options.thumbnailSize);
    return { format, mime: MIME_OF[format], width, height, orientation, normalized, thumbnail };
  });
}

/**
 * Read settings that let the JPEG decoder scale a large image down while decoding (by 1/2,
 * 1/4 or 1/8, never below `longSide`: several times cheaper for a 1920-px photo), or
 * undefined for an image whose longer side is not over `longSide`, which the decoder would
 * otherwise enlarge up to twice its size. Reads only the header.
 */
export function shrinkOnLoad(bytes: Uint8Array, longSide: number): MagickReadSettings | undefined {
  let long: number;
  try {
    const header = MagickImageInfo.create(bytes);
    long = Math.max(header.width, header.height);
  } catch {
    return undefined; // Decoding will say what is wrong with it.
  }
  if (long <= longSide) return undefined;
  const settings = new MagickReadSettings();
  settings.setDefine(MagickFormat.Jpeg, "size", `${longSide}x${longSide}`);
  return settings;
}

/** A JPEG thumbnail of stored (already upright) image bytes. */
export function thumbnailOf(bytes: Uint8Array, size: number): Uint8Array {
  return withDecoded(bytes, (image) => writeThumbnail(image, size), shrinkOnLoad(bytes, size * 2));
}

/**
 * Shrinks `image` (decoded and upright) into its JPEG thumbnail, longer side `size`, and returns
 * the bytes: how uploads and crops get theirs without decoding anything again. The image itself
 * is changed, without a copy, so this is the last thing done with it.
 */
export function writeThumbnail(image: IMagickImage, size: number): Uint8Array {
  const scale = Math.min(size / image.width, size / image.height);
  const fitted = new MagickGeometry(
    Math.max(1, Math.min(size, Math.round(image.width * scale))),
    Math.max(1, Math.min(size, Math.round(image.height * scale))),
  );
  fitted.ignoreAspectRatio = true; // Already in proportion; rounding must not move a pixel.
  // Both filters average the area each new pixel covers when shrinking, at a fraction of
  // `thumbnail()`'s cost: detection makes one for every crop it cuts. A box is a plain mean,
  // the cheaper of the two by half when shrinking a lot; the tent blends neighbours, which a
  // mild shrink or an enlargement needs to stay smooth.
  image.resize(fitted, scale <= 0.5 ? FilterType.Box : FilterType.Triangle);
  image.strip(); // No EXIF or colour profile: the pixels are upright sRGB already.
  flattenAlpha(image);
  return writeJpeg(image, 85);
}

/**
 * Encodes `image` as a baseline JPEG at `quality`, the way every JPEG the service writes is
 * encoded: with libjpeg's float DCT, the most exact and, in WebAssembly, the fastest (a sixth
 * less time than the default integer DCT on a contact sheet page), and without optimised
 * Huffman tables (they save 1–3 % of the bytes for an eighth more time).
 *
 * The settings stay on `image`; with magick-wasm they reach the image a copy was cloned from
 * as well, so set them only on an image whose later writes want the same.
 */
export function writeJpeg(image: IMagickImage, quality: number): Uint8Array {
  image.quality = quality;
  image.settings.setDefine(MagickFormat.Jpeg, "dct-method", "float");
  image.settings.setDefine(MagickFormat.Jpeg, "optimize-coding", "false");
  return image.write(MagickFormat.Jpeg, (data) => data.slice());
}

/**
 * A 640×480 JPEG of one colour: input for warming up a worker (an image of known size that
 * holds no face and no object).
 */
export function madeUpPhoto(): Uint8Array {
  const image = MagickImage.create(new MagickColor("#8a7f72"), 640, 480);
  try {
    return writeJpeg(image, 90);
  } finally {
    image.dispose();
  }
}

/** JPEG has no alpha: put transparent pixels on white instead of black. */
function flattenAlpha(image: IMagickImage): void {
  if (!image.hasAlpha) return;
  image.backgroundColor = new MagickColor("white");
  image.alpha(AlphaAction.Remove);
}

function checkFormat(bytes: Uint8Array): AcceptedFormat {
  if (bytes.length === 0) {
    throw invalid("empty_file", "The file is empty: choose a JPEG, PNG or WebP image.");
  }
  const format = sniffFormat(bytes);
  if (isAccepted(format)) return format;
  const named = format === "unknown"
    ? "The file is not a JPEG, PNG or WebP image (its content was not recognised as an image)"
    : `${format.toUpperCase()} images are not supported`;
  throw new AppError("unsupported_media_type", `${named}: upload a JPEG, PNG or WebP image.`, {
    code: "unsupported_image_format",
    details: { detected: format, accepted: ["image/jpeg", "image/png", "image/webp"] },
  });
}

function checkPixelLimit(bytes: Uint8Array, maxPixels: number): void {
  let width: number, height: number;
  try {
    // Reads the header only, so a decompression bomb is refused before it is decoded.
    const info = MagickImageInfo.create(bytes);
    width = info.width;
    height = info.height;
  } catch (error) {
    throw damaged(error);
  }
  if (width * height > maxPixels) {
    const megapixels = (n: number) => `${Math.round(n / 1e5) / 10} MP`;
    throw invalid(
      "image_too_large",
      `The image is ${width}×${height} (${megapixels(width * height)}), over the limit of ` +
        `${megapixels(maxPixels)} (MAX_IMAGE_PIXELS): resize it and upload again.`,
      { width, height, max_pixels: maxPixels },
    );
  }
}

/** Decodes `bytes`, refusing damaged images, and lends the image to `use` (then frees it). */
export function withDecoded<T>(
  bytes: Uint8Array,
  use: (image: IMagickImage) => T,
  settings?: MagickReadSettings,
): T {
  const image = readChecked(bytes, settings);
  try {
    return use(image);
  } finally {
    image.dispose();
  }
}

/**
 * Decodes `bytes` (refusing damaged images), applies EXIF orientation and returns the
 * upright image with its RGB pixels. The caller owns `image` and must dispose it.
 */
export function decodeUpright(bytes: Uint8Array): { image: IMagickImage; rgb: RgbImage } {
  const image = readChecked(bytes);
  try {
    image.autoOrient();
    const { width, height } = image;
    const data = image.getPixels((pixels) => pixels.toByteArray(0, 0, width, height, "RGB"));
    if (!data) throw new Error("ImageMagick returned no pixels for a decoded image.");
    return { image, rgb: rgbImage(width, height, data.slice()) };
  } catch (error) {
    image.dispose();
    throw error;
  }
}

/** Reads `bytes` into a new image, or disposes it and throws a 422 when they are damaged. */
function readChecked(bytes: Uint8Array, settings?: MagickReadSettings): IMagickImage {
  const image = MagickImage.create();
  const warnings: string[] = [];
  image.onWarning = (event) => {
    if (CORRUPT_SEVERITIES.has(event.error.severity)) warnings.push(event.error.message);
    return 0;
  };
  try {
    if (settings) image.read(bytes, settings);
    else image.read(bytes);
  } catch (error) {
    image.dispose();
    throw damaged(error);
  }
  if (warnings.length > 0) {
    image.dispose();
    throw damaged(new Error(warnings[0]));
  }
  return image;
}

function damaged(cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.message.replace(/ `.*$/, "") : String(cause);
  return invalid(
    "corrupt_image",
    `The image could not be decoded (${reason}): it may be truncated or damaged; ` +
      "export it again and upload the new file.",
  );
}
