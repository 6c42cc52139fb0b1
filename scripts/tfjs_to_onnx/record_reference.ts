/**
 * Runs the ORIGINAL CenterNet TFJS graph model (tfjs-core CPU backend) on a test photo and
 * writes the compact parity reference `tests/fixtures/reference/centernet_sample1.json`.
 *
 * Run once after checking the result; the converter's test compares ONNX Runtime against it:
 *
 *     deno run --allow-read --allow-write=./tests/fixtures/reference,./.cache \
 *       --allow-net=registry.npmjs.org --allow-env scripts/tfjs_to_onnx/record_reference.ts
 *
 * @module
 */

// Pinned inline on purpose: only this dev script needs TFJS, so installing the service
// never fetches it.
// deno-lint-ignore no-import-prefix
import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
// deno-lint-ignore no-import-prefix
import "npm:@tensorflow/tfjs-backend-cpu@4.22.0";
// deno-lint-ignore no-import-prefix
import { loadGraphModel } from "npm:@tensorflow/tfjs-converter@4.22.0";
import { sha256Hex } from "../../src/storage/sha256.ts";
import { type CenterNetReference, strided, summarize, topKIndices } from "./reference.ts";
import {
  CENTERNET_FILES,
  CENTERNET_INPUT,
  CENTERNET_OUTPUTS,
  CENTERNET_PACKAGE,
  CENTERNET_SIZE,
  loadCenterNetFiles,
  photoInput,
} from "./sample_input.ts";

/** Versions of the TFJS packages imported above (keep in step with the specifiers). */
const TFJS_VERSION = "4.22.0";
/** How many of the largest heat-map values the reference keeps. */
const TOP_K = 200;
/** Stride of the evenly spread samples of both outputs (a prime, so no channel aliasing). */
const SAMPLE_STRIDE = 4999;
const PHOTO = "sample1.jpg";
const ROOT = new URL("../../", import.meta.url);
const OUTPUT = new URL("tests/fixtures/reference/centernet_sample1.json", ROOT);

interface WeightsGroup {
  weights: tf.io.WeightsManifestEntry[];
}

interface GraphModelJson {
  modelTopology: unknown;
  weightsManifest: WeightsGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
}

async function main(): Promise<void> {
  await tf.setBackend("cpu");
  const cacheDir = new URL(".cache", ROOT).pathname;
  const { modelJson, jsonBytes, weights } = await loadCenterNetFiles(cacheDir);
  const json = modelJson as GraphModelJson;
  const handler: tf.io.IOHandler = {
    load: () =>
      Promise.resolve({
        modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: weights.slice().buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature as Record<string, unknown>,
      }),
  };
  const model = await loadGraphModel(handler);

  const input = await photoInput(PHOTO);
  const shape = [1, CENTERNET_SIZE, CENTERNET_SIZE, 3];
  const started = performance.now();
  const [keypoints, wh] = tf.tidy(() => {
    const x = tf.tensor4d(input, shape as [number, number, number, number]);
    return model.execute({ [CENTERNET_INPUT]: x }, [...CENTERNET_OUTPUTS]) as tf.Tensor[];
  });
  const heat = await keypoints.data() as Float32Array;
  const sizes = await wh.data() as Float32Array;
  const elapsed = performance.now() - started;

  const classes = keypoints.shape[3]!;
  const sizeChannels = wh.shape[3]!;
  const top = topKIndices(heat, TOP_K);
  const topWh = top.flatMap((index) => {
    const pixel = Math.floor(index / classes);
    return Array.from(sizes.subarray(pixel * sizeChannels, (pixel + 1) * sizeChannels));
  });

  const reference: CenterNetReference = {
    note: "Outputs of the original TFJS CenterNet graph (tfjs CPU backend) for sample1.jpg " +
      "resized to 512x512 (aspect ignored, RGB 0..255). Written by " +
      "scripts/tfjs_to_onnx/record_reference.ts.",
    producer: {
      "@tensorflow/tfjs-core": TFJS_VERSION,
      "@tensorflow/tfjs-converter": TFJS_VERSION,
      "@tensorflow/tfjs-backend-cpu": TFJS_VERSION,
    },
    model: {
      package: `${CENTERNET_PACKAGE.name}@${CENTERNET_PACKAGE.version}`,
      json: CENTERNET_FILES.json,
      jsonSha256: await sha256Hex(jsonBytes),
      weights: CENTERNET_FILES.weights,
      weightsSha256: await sha256Hex(weights),
    },
    input: { photo: PHOTO, shape, sha256: await sha256Hex(new Uint8Array(input.buffer)) },
    keypoints: summarize(heat, keypoints.shape),
    wh: summarize(sizes, wh.shape),
    top: { index: top, value: top.map((index) => heat[index]), wh: topWh },
    samples: {
      stride: SAMPLE_STRIDE,
      keypoints: strided(heat, SAMPLE_STRIDE),
      wh: strided(sizes, SAMPLE_STRIDE),
    },
  };
  tf.dispose([keypoints, wh]);
  const text = JSON.stringify(reference, null, 2) + "\n";
  await Deno.writeTextFile(OUTPUT, text);
  console.log(
    `TFJS CPU inference ${elapsed.toFixed(0)} ms; heat-map max ${reference.keypoints.max}, ` +
      `sum ${reference.keypoints.sum}; wrote ${OUTPUT.pathname} (${text.length} bytes)`,
  );
}

if (import.meta.main) await main();
