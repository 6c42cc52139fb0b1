/**
 * The inputs shared by the reference recorder and the parity test: the CenterNet files from
 * the npm package and one test photo turned into the detector's 512×512 input.
 *
 * Both sides must build the input the same way; the recorded reference keeps its SHA-256 so a
 * changed decoder or resize shows up as a clear failure instead of a silent parity drift.
 *
 * @module
 */

import { MagickGeometry, MagickImage } from "@imagemagick/magick-wasm";
import { initMagick } from "../../src/imaging/magick_ops.ts";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { fetchPackageFiles } from "../npm/tarball.ts";

/** Where the CenterNet TFJS graph model comes from. */
export const CENTERNET_PACKAGE = { name: "@vladmandic/human", version: "3.3.6" } as const;
/** Paths of the model files inside {@linkcode CENTERNET_PACKAGE}. */
export const CENTERNET_FILES = {
  json: "models/centernet.json",
  weights: "models/centernet.bin",
} as const;
/** The two outputs kept by the converter; the graph's own TopK/Gather decode tail is cut. */
export const CENTERNET_OUTPUTS = ["tower_0/keypoints", "tower_0/wh"] as const;
/** The graph input (NHWC float, values 0..255). */
export const CENTERNET_INPUT = "tower_0/images";
/** Side of the square input the model expects. */
export const CENTERNET_SIZE = 512;

/** The parsed `centernet.json`, its bytes, and the bytes of `centernet.bin`. */
export interface CenterNetFiles {
  modelJson: unknown;
  jsonBytes: Uint8Array;
  weights: Uint8Array;
}

/** Fetches (or reads from the tarball cache) the CenterNet model files. */
export async function loadCenterNetFiles(cacheDir: string): Promise<CenterNetFiles> {
  const files = await fetchPackageFiles({
    ...CENTERNET_PACKAGE,
    files: [CENTERNET_FILES.json, CENTERNET_FILES.weights],
    cacheDir,
  });
  const json = files.get(CENTERNET_FILES.json)!;
  return {
    modelJson: JSON.parse(new TextDecoder().decode(json)),
    jsonBytes: json,
    weights: files.get(CENTERNET_FILES.weights)!,
  };
}

/**
 * Decodes a test photo and resizes it to exactly `size`×`size` (aspect ratio ignored, as the
 * original library feeds CenterNet), returning NHWC RGB floats with values 0..255.
 */
export async function photoInput(file: string, size = CENTERNET_SIZE): Promise<Float32Array> {
  await initMagick();
  const bytes = await fixturePhoto(file);
  const image = MagickImage.create(bytes);
  try {
    image.autoOrient();
    const geometry = new MagickGeometry(size, size);
    geometry.ignoreAspectRatio = true;
    image.resize(geometry);
    const rgb = image.getPixels((pixels) => pixels.toByteArray(0, 0, size, size, "RGB"));
    if (!rgb || rgb.length !== size * size * 3) {
      throw new Error(`Could not read ${size}×${size} RGB pixels of ${file}.`);
    }
    return Float32Array.from(rgb);
  } finally {
    image.dispose();
  }
}
