/**
 * Faces on real photos with the real model, in a real worker: every face found, no false box.
 */
import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import reference from "../../tests/fixtures/reference/face_boxes.json" with { type: "json" };
import { WorkerPool } from "../workers/pool.ts";
import type { FaceDetection } from "./engine.ts";
import { type Box, iou } from "./geometry.ts";
import { loadModelCatalog, modelPath } from "./model_catalog.ts";

const catalog = await loadModelCatalog();
const MODEL = modelPath(catalog.find((entry) => entry.name === "fr_detect")!);

Deno.test("fr_detect finds the 22 faces of the six demo photos with no false box", async () => {
  const pool = new WorkerPool({
    size: 1,
    script: new URL("../workers/worker_main.ts", import.meta.url),
    name: "faces-test",
    init: { vision: { faceDetector: { path: MODEL, adapter: "ultraface_rfb" } } },
  });
  try {
    await pool.ready();
    assert.ok(pool.stats().engines.includes("faces:ultraface_rfb"));
    const counts: number[] = [];
    for (const [file, expected] of Object.entries(reference.photos)) {
      const found = await pool.run<FaceDetection>("faces.detect", {
        bytes: await fixturePhoto(file),
      });
      counts.push(found.faces.length);
      // One-to-one: each reference face is matched by exactly one detection and vice versa.
      const unmatched = [...found.faces];
      for (const box of expected as unknown as Box[]) {
        const match = unmatched.findIndex((face) => iou(face.box, box) >= 0.5);
        assert.ok(match >= 0, `${file}: no detection for the face at ${box.join(",")}`);
        unmatched.splice(match, 1);
      }
      assert.deepEqual(unmatched, [], `${file}: false boxes`);
      for (const face of found.faces) {
        assert.ok(face.box[2] <= found.width && face.box[3] <= found.height);
      }
    }
    assert.deepEqual(counts, [3, 3, 3, 4, 5, 4]);
  } finally {
    pool.close();
  }
});
