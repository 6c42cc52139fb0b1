/**
 * The vision engine inside a pool worker: loads the configured ONNX models once and offers
 * `vision.analyze` — decode, orient, find faces, align and embed each, find objects, and cut
 * padded crops — as one worker operation, typed with the others by {@linkcode VisionOps}.
 *
 * @module
 */
import { type IMagickImage, MagickFormat, MagickGeometry } from "@imagemagick/magick-wasm";
import { CONTACT_SHEET_LAYOUT } from "../imaging/contact_sheet.ts";
import { decodeUpright, madeUpPhoto, writeJpeg, writeThumbnail } from "../imaging/magick_ops.ts";
import { alignFace, type Point } from "./alignment.ts";
import type { VisionComponents } from "./adapters.ts";
import type { VisionModels } from "./vision_models.ts";
import { type Box, padBox, pixelBox } from "./geometry.ts";
import { type CropPlanOptions, planCrops } from "./crop_plan.ts";
import type { RgbImage } from "../imaging/raster.ts";
import { syntheticInput } from "./tensor_runner.ts";
import type { LoadedEngine } from "../workers/protocol.ts";

/** Which models a worker loads (paths on disk), by role. */
export type VisionInit = VisionModels;

/** Padding added on every side of a crop, as a fraction of the box. */
export const CROP_PADDING = Object.freeze({ face: 0.3, object: 0.1 });

/** A padded crop cut from the upright image. */
export interface Crop {
  /** The padded box, whole pixels of the upright image. */
  readonly box: Box;
  readonly mime: "image/jpeg" | "image/png";
  readonly bytes: Uint8Array;
  /**
   * A JPEG thumbnail of the crop, longer side {@linkcode AnalyzeRequest.thumbnailSize}, made
   * from the pixels already in hand; null when none was asked for.
   */
  readonly thumbnail: Uint8Array | null;
}

/** A face found in an image, in the upright image's pixels. */
export interface AnalyzedFace {
  readonly box: Box;
  readonly score: number;
  /** Eye centres, nose tip, mouth corners; null without a landmark model. */
  readonly landmarks: Point[] | null;
  /** L2-normalised embedding; null without landmark and embedder models or when not asked. */
  readonly embedding: Float32Array | null;
  readonly crop: Crop | null;
}

/** An object found in an image. */
export interface AnalyzedObject {
  readonly box: Box;
  readonly score: number;
  readonly classId: number;
  readonly label: string;
  readonly crop: Crop | null;
}

/** What `vision.analyze` returns. */
export interface ImageAnalysis {
  /** Size of the upright image (EXIF orientation applied). */
  readonly width: number;
  readonly height: number;
  readonly faces: AnalyzedFace[];
  readonly objects: AnalyzedObject[];
  /** Milliseconds spent per stage inside the worker. */
  readonly timings: Record<string, number>;
}

/** The request of `vision.analyze`; every part defaults to on. */
export interface AnalyzeRequest {
  readonly bytes: Uint8Array;
  readonly embeddings?: boolean;
  readonly objects?: boolean;
  readonly crops?: boolean;
  /** With crops: also a JPEG thumbnail of each, this many pixels on its longer side. */
  readonly thumbnailSize?: number;
  /**
   * With crops: only the detections this plan keeps are cut (the others get `crop: null`),
   * as encoding crops nobody stores is a good part of an analysis. Without it, all are.
   */
  readonly cropPlan?: CropPlanOptions;
}

/** The request of `vision.time_model` (benchmarks): run one model on a synthetic input. */
export interface TimeModelRequest {
  readonly engine: string;
  readonly dims: readonly number[];
  readonly warmup: number;
  readonly runs: number;
}

/** The vision operations of a pool worker: payload and result of each. */
export interface VisionOps {
  /** Faces, embeddings, objects and crops of one image. */
  "vision.analyze": { payload: AnalyzeRequest; result: ImageAnalysis };
  /** Milliseconds of each timed run. */
  "vision.time_model": { payload: TimeModelRequest; result: number[] };
}

/**
 * Loads the models named in `init`; returns the engine names and their handlers, or null when
 * `init` names no model (the worker then offers no vision operation).
 */
export async function loadVision(init: VisionInit): Promise<LoadedEngine<VisionOps> | null> {
  if (Object.keys(init).length === 0) return null;
  // ORT is imported only here, inside a worker, and only when a model is configured.
  const { loadVisionComponents } = await import("./adapters.ts");
  const components = await loadVisionComponents(init);
  return {
    engines: components.engines,
    warmUp: () => warmUpVision(components),
    handlers: {
      "vision.analyze": async (request) => {
        const result = await analyze(components, request);
        const transfer: ArrayBuffer[] = [];
        for (const item of [...result.faces, ...result.objects]) {
          if (item.crop) transfer.push(item.crop.bytes.buffer as ArrayBuffer);
          if (item.crop?.thumbnail) transfer.push(item.crop.thumbnail.buffer as ArrayBuffer);
        }
        for (const face of result.faces) {
          if (face.embedding) transfer.push(face.embedding.buffer as ArrayBuffer);
        }
        return { result, transfer };
      },
      "vision.time_model": async (request) => {
        const runner = components.runners[request.engine];
        if (!runner) throw new Error(`No engine ${request.engine} is loaded in this worker.`);
        const data = syntheticInput(request.dims);
        const inputs = { [runner.inputNames[0]]: { data, dims: request.dims } };
        const milliseconds: number[] = [];
        for (let i = 0; i < request.warmup + request.runs; i++) {
          const start = performance.now();
          await runner.run(inputs);
          if (i >= request.warmup) milliseconds.push(performance.now() - start);
        }
        return { result: milliseconds };
      },
    },
  };
}

/**
 * Analyses a made-up photo with every stage on, then locates, aligns and embeds a made-up
 * face in it (the photo holds none), so a worker's first real photo does not pay for
 * compiling the code and the models' first runs: about 0.7 s of a worker, measured.
 */
async function warmUpVision(components: VisionComponents): Promise<void> {
  const bytes = madeUpPhoto();
  await analyze(components, { bytes, thumbnailSize: CONTACT_SHEET_LAYOUT.cell });
  const { image, rgb } = decodeUpright(bytes);
  try {
    const box: Box = [200, 120, 360, 320];
    const landmarks = await components.faceLandmarks?.locate(rgb, box);
    if (landmarks) await components.faceEmbedder?.embed(alignFace(rgb, landmarks));
    cropOf(image, rgb, box, CROP_PADDING.face, CONTACT_SHEET_LAYOUT.cell);
  } finally {
    image.dispose();
  }
}

async function analyze(
  components: VisionComponents,
  request: AnalyzeRequest,
): Promise<ImageAnalysis> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + now - mark;
    mark = now;
  };
  const { image, rgb } = decodeUpright(request.bytes);
  try {
    lap("decode");
    const wantEmbeddings = request.embeddings ?? true;
    const wantCrops = request.crops ?? true;
    const thumbnailSize = request.thumbnailSize ?? null;
    const detected = (await components.faceDetector?.detect(rgb)) ?? [];
    lap("faces");
    const faces: AnalyzedFace[] = [];
    for (const face of detected) {
      let landmarks: Point[] | null = null;
      let embedding: Float32Array | null = null;
      if (components.faceLandmarks) {
        landmarks = await components.faceLandmarks.locate(rgb, face.box);
        lap("landmarks");
        if (wantEmbeddings && components.faceEmbedder) {
          embedding = await components.faceEmbedder.embed(alignFace(rgb, landmarks));
          lap("embeddings");
        }
      }
      faces.push({ box: face.box, score: face.score, landmarks, embedding, crop: null });
    }
    const objects: AnalyzedObject[] = [];
    if ((request.objects ?? true) && components.objectDetector) {
      const found = await components.objectDetector.detect(rgb);
      lap("objects");
      for (const object of found) objects.push({ ...object, crop: null });
    }
    if (wantCrops) {
      const planned = request.cropPlan
        ? new Set(
          planCrops(rgb, faces, objects, request.cropPlan)
            .map(({ source }) => `${source.kind} ${source.index}`),
        )
        : null;
      const wanted = (kind: "face" | "object", index: number) =>
        planned === null || planned.has(`${kind} ${index}`);
      faces.forEach((face, index) => {
        if (!wanted("face", index)) return;
        faces[index] = {
          ...face,
          crop: cropOf(image, rgb, face.box, CROP_PADDING.face, thumbnailSize),
        };
      });
      objects.forEach((object, index) => {
        if (!wanted("object", index)) return;
        objects[index] = {
          ...object,
          crop: cropOf(image, rgb, object.box, CROP_PADDING.object, thumbnailSize),
        };
      });
      lap("crops");
    }
    return { width: rgb.width, height: rgb.height, faces, objects, timings };
  } finally {
    image.dispose();
  }
}

function cropOf(
  image: IMagickImage,
  rgb: RgbImage,
  box: Box,
  padding: number,
  thumbnailSize: number | null,
): Crop {
  const padded = pixelBox(padBox(box, padding, rgb.width, rgb.height));
  const [x1, y1, x2, y2] = padded;
  const png = image.hasAlpha;
  return image.clone((copy) => {
    copy.crop(new MagickGeometry(x1, y1, Math.max(1, x2 - x1), Math.max(1, y2 - y1)));
    copy.resetPage();
    // PNG at "quality" 90: zlib level 9, no row filter, as crops with alpha always were.
    if (png) copy.quality = 90;
    const bytes = png ? copy.write(MagickFormat.Png, (data) => data.slice()) : writeJpeg(copy, 90);
    // From the cut pixels, while they are decoded: the contact sheet draws its cells from
    // these, and decoding every crop again to draw them is what made large sheets slow. The
    // cut copy is shrunk in place: it is not used after.
    const thumbnail = thumbnailSize === null ? null : writeThumbnail(copy, thumbnailSize);
    return { box: padded, mime: png ? "image/png" : "image/jpeg", bytes, thumbnail };
  });
}
