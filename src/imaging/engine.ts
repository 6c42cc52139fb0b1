/**
 * The imaging engine inside a pool worker: loads magick-wasm (and the contact sheet's fonts)
 * once and offers the image operations, each typed by {@linkcode ImageOps}.
 *
 * Results that hold image bytes hand their buffers back to the pool to be moved, not copied.
 *
 * @module
 */
import type { LoadedEngine } from "../workers/protocol.ts";
import {
  composeContactSheet,
  CONTACT_SHEET_LAYOUT,
  type ContactSheetRequest,
  registerFonts,
} from "./contact_sheet.ts";
import { type FontFiles, readFontFiles } from "./fonts.ts";
import {
  initMagick,
  type InspectedImage,
  inspectImage,
  type InspectOptions,
  madeUpPhoto,
  thumbnailOf,
} from "./magick_ops.ts";
import type { PixelStats } from "./pixel_stats.ts";
import { imageStatsOf } from "./pixel_stats_op.ts";

/** The request of `image.inspect`: the upload and the limits to check it against. */
export interface InspectRequest extends InspectOptions {
  readonly bytes: Uint8Array;
}

/** The request of `image.thumbnail`: stored (upright) image bytes and the longer side. */
export interface ThumbnailRequest {
  readonly bytes: Uint8Array;
  readonly size: number;
}

/** The request of `image.stats`. */
export interface StatsRequest {
  readonly bytes: Uint8Array;
}

/** The image operations of a pool worker: payload and result of each. */
export interface ImageOps {
  /** Checks and decodes an upload, see {@linkcode inspectImage}. */
  "image.inspect": { payload: InspectRequest; result: InspectedImage };
  /** A JPEG thumbnail, see {@linkcode thumbnailOf}. */
  "image.thumbnail": { payload: ThumbnailRequest; result: Uint8Array };
  /** Pixel measures for the local analyzer, see {@linkcode imageStatsOf}. */
  "image.stats": { payload: StatsRequest; result: PixelStats };
  /** The contact sheet's JPEG, see {@linkcode composeContactSheet}. */
  "contact_sheet.compose": { payload: ContactSheetRequest; result: Uint8Array };
}

/** What the imaging engine needs at start. */
export interface ImagingInit {
  /** The contact sheet's TTF files, from `fontPaths()`; without them it cannot be drawn. */
  readonly fonts?: FontFiles;
}

/** Loads magick-wasm and the fonts; returns the engine names and the image handlers. */
export async function loadImaging(init: ImagingInit = {}): Promise<LoadedEngine<ImageOps>> {
  await initMagick();
  // Fonts are not listed in `engines`: /readyz reports everything there but magick as a model.
  if (init.fonts) registerFonts(await readFontFiles(init.fonts));
  return {
    engines: ["magick"],
    warmUp: () => warmUpImaging(init.fonts !== undefined),
    handlers: {
      "image.inspect": (request) => {
        const result = inspectImage(request.bytes, request);
        const transfer: Transferable[] = [result.thumbnail.buffer as ArrayBuffer];
        if (result.normalized) transfer.push(result.normalized.buffer as ArrayBuffer);
        return { result, transfer };
      },
      "image.thumbnail": (request) => {
        const result = thumbnailOf(request.bytes, request.size);
        return { result, transfer: [result.buffer as ArrayBuffer] };
      },
      "image.stats": (request) => ({ result: imageStatsOf(request.bytes) }),
      "contact_sheet.compose": (request) => {
        const result = composeContactSheet(request);
        return { result, transfer: [result.buffer as ArrayBuffer] };
      },
    },
  };
}

/**
 * Checks, thumbnails, measures and (with fonts) draws a one-cell sheet of a made-up photo, so
 * the first upload and the first sheet find the code compiled and the glyphs of plain
 * labels cached.
 */
function warmUpImaging(withFonts: boolean): void {
  const bytes = madeUpPhoto();
  const { thumbnail } = inspectImage(bytes, {
    maxPixels: 1 << 24,
    thumbnailSize: CONTACT_SHEET_LAYOUT.cell,
  });
  imageStatsOf(bytes);
  if (!withFonts) return;
  composeContactSheet({
    subtitle: "Warm-up",
    page: 1,
    cells: [{
      bytes: thumbnail,
      name: "Face in photo_0123456789.jpg",
      assetType: "CHARACTER",
      tag: "CHAR_01",
    }],
  });
}
