/**
 * The vision engine on real photos with the real models, in a real pool worker: faces,
 * embeddings that survive flipping, rescaling and recompression, objects, and crops.
 */
import assert from "node:assert/strict";
import { type IMagickImage, MagickFormat, MagickImage } from "@imagemagick/magick-wasm";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import reference from "../../tests/fixtures/reference/face_boxes.json" with { type: "json" };
import { initMagick } from "../imaging/magick_ops.ts";
import type { AnalyzedFace, AnalyzeRequest, ImageAnalysis } from "../vision/engine.ts";
import { cosineSimilarity } from "../vision/face_embedder.ts";
import { area, type Box, iou } from "../vision/geometry.ts";
import { visionInitFromCatalog } from "../vision/vision_init.ts";
import { DEFAULT_CROP_PLAN, planCrops } from "../vision/crop_plan.ts";
import { startEnginePool } from "./engine_pool.ts";

const PHOTOS = Object.keys(reference.photos);
const THRESHOLD = 0.45;

/** Each reference box matched to exactly one face and no face left over, or a failure. */
function matchOneToOne(file: string, faces: readonly AnalyzedFace[], expected: readonly Box[]) {
  const unmatched = [...faces];
  const matched: AnalyzedFace[] = [];
  for (const box of expected) {
    const at = unmatched.findIndex((face) => iou(face.box, box) >= 0.5);
    assert.ok(at >= 0, `${file}: no face detected at ${box.join(",")}`);
    matched.push(...unmatched.splice(at, 1));
  }
  assert.deepEqual(unmatched.map((face) => face.box), [], `${file}: false boxes`);
  return matched;
}

function transformed(bytes: Uint8Array, change: (image: IMagickImage) => void): Uint8Array {
  const image = MagickImage.create(bytes);
  try {
    image.autoOrient();
    change(image);
    return image.write(MagickFormat.Jpeg, (data) => data.slice());
  } finally {
    image.dispose();
  }
}

Deno.test("vision.analyze on the six demo photos", async (t) => {
  await initMagick();
  const vision = await visionInitFromCatalog();
  const pool = startEnginePool({ size: 1, name: "vision-test", init: { vision } });
  const analyze = (request: AnalyzeRequest) => pool.run("vision.analyze", request);
  try {
    await pool.ready();
    assert.deepEqual(pool.stats().engines.filter((name) => name !== "magick").sort(), [
      "embeddings:fr_feature",
      "faces:fr_detect",
      "landmarks:fr_landmark",
      "objects:centernet",
    ]);
    const originals = new Map<string, { bytes: Uint8Array; result: ImageAnalysis }>();
    for (const file of PHOTOS) {
      const bytes = await fixturePhoto(file);
      originals.set(file, { bytes, result: await analyze({ bytes }) });
    }

    await t.step("22 of 22 faces (3,3,3,4,5,4), no false box, landmarks inside", () => {
      const counts = PHOTOS.map((file) => {
        const { result } = originals.get(file)!;
        const expected = reference
          .photos[file as keyof typeof reference.photos] as unknown as Box[];
        matchOneToOne(file, result.faces, expected);
        for (const face of result.faces) {
          assert.ok(face.box[2] <= result.width && face.box[3] <= result.height);
          for (const [x, y] of face.landmarks!) {
            assert.ok(x > face.box[0] && x < face.box[2] && y > face.box[1] && y < face.box[3]);
          }
        }
        return result.faces.length;
      });
      assert.deepEqual(counts, [3, 3, 3, 4, 5, 4]);
    });

    await t.step("embeddings are unit vectors; faces of one photo are different people", () => {
      for (const file of PHOTOS) {
        const faces = originals.get(file)!.result.faces;
        for (const face of faces) {
          assert.equal(face.embedding!.length, 512);
          assert.ok(Math.abs(cosineSimilarity(face.embedding!, face.embedding!) - 1) < 1e-4);
        }
        for (let i = 0; i < faces.length; i++) {
          for (let j = i + 1; j < faces.length; j++) {
            const score = cosineSimilarity(faces[i].embedding!, faces[j].embedding!);
            assert.ok(score < THRESHOLD, `${file}: faces ${i} and ${j} score ${score.toFixed(3)}`);
          }
        }
      }
    });

    const variants: [string, (image: IMagickImage) => void, (box: Box, width: number) => Box][] = [
      ["flipped", (image) => image.flop(), (b, w) => [w - b[2], b[1], w - b[0], b[3]]],
      [
        "50 % rescaled",
        (image) => image.resize(Math.round(image.width / 2), Math.round(image.height / 2)),
        (b) => [b[0] * 2, b[1] * 2, b[2] * 2, b[3] * 2],
      ],
      ["JPEG q30", (image) => (image.quality = 30), (b) => b],
    ];
    for (const [label, change, toOriginal] of variants) {
      await t.step(`every face still matches itself when ${label} (cosine ≥ 0.45)`, async () => {
        const worst: number[] = [];
        for (const file of PHOTOS) {
          const original = originals.get(file)!;
          const result = await analyze({
            bytes: transformed(original.bytes, change),
            objects: false,
            crops: false,
          });
          const width = label === "flipped" ? result.width : original.result.width;
          for (const face of original.result.faces) {
            const twin = result.faces.find((f) => iou(toOriginal(f.box, width), face.box) >= 0.5);
            assert.ok(twin, `${file} ${label}: the face at ${face.box.map(Math.round)} was lost`);
            const score = cosineSimilarity(face.embedding!, twin.embedding!);
            worst.push(score);
            assert.ok(score >= THRESHOLD, `${file} ${label}: score ${score.toFixed(3)}`);
          }
        }
        assert.equal(worst.length, 22);
      });
    }

    await t.step("CenterNet finds at least 18 of the 22 people as person boxes", () => {
      let people = 0;
      for (const file of PHOTOS) {
        const { result } = originals.get(file)!;
        const persons = result.objects.filter((o) => o.label === "person");
        // Each person box counts once, for a face whose centre lies inside it.
        const claimed = new Set<AnalyzedFace>();
        for (const person of persons) {
          const face = result.faces.find((f) =>
            !claimed.has(f) && inside(centre(f.box), person.box)
          );
          if (face) claimed.add(face);
        }
        people += claimed.size;
      }
      assert.ok(people >= 18, `only ${people} of 22 people found`);
    });

    await t.step("crops are padded (faces 30 %, objects 10 %) and decodable", () => {
      const { result } = originals.get("sample1.jpg")!;
      const items = [
        ...result.faces.map((f) => ({ box: f.box, crop: f.crop!, pad: 0.3 })),
        ...result.objects.map((o) => ({ box: o.box, crop: o.crop!, pad: 0.1 })),
      ];
      assert.ok(items.length > 3);
      for (const { box, crop, pad } of items) {
        assert.equal(crop.mime, "image/jpeg");
        const [x1, y1, x2, y2] = crop.box;
        assert.ok(x1 <= box[0] && y1 <= box[1] && x2 >= box[2] && y2 >= box[3]);
        const expectedArea = area([
          Math.max(0, box[0] - (box[2] - box[0]) * pad),
          Math.max(0, box[1] - (box[3] - box[1]) * pad),
          Math.min(result.width, box[2] + (box[2] - box[0]) * pad),
          Math.min(result.height, box[3] + (box[3] - box[1]) * pad),
        ]);
        assert.ok(Math.abs(area(crop.box) - expectedArea) / expectedArea < 0.05);
        const image = MagickImage.create(crop.bytes);
        assert.deepEqual([image.width, image.height], [x2 - x1, y2 - y1]);
        image.dispose();
      }
    });

    await t.step("asked for, each crop comes with a JPEG thumbnail of the same shape", async () => {
      assert.ok(
        originals.get("sample1.jpg")!.result.faces.every((f) => f.crop!.thumbnail === null),
      );
      const result = await analyze({
        bytes: originals.get("sample1.jpg")!.bytes.slice(),
        embeddings: false,
        thumbnailSize: 256,
      });
      const crops = [...result.faces, ...result.objects].map((item) => item.crop!);
      assert.ok(crops.length > 3);
      for (const crop of crops) {
        const image = MagickImage.create(crop.thumbnail!);
        try {
          assert.equal(image.format, MagickFormat.Jpeg);
          assert.equal(Math.max(image.width, image.height), 256);
          const [x1, y1, x2, y2] = crop.box;
          const shape = (x2 - x1) / (y2 - y1);
          assert.ok(Math.abs(image.width / image.height - shape) / shape < 0.05);
        } finally {
          image.dispose();
        }
      }
    });

    await t.step("given a crop plan, only the detections it keeps are cut", async () => {
      const all = originals.get("sample3.jpg")!.result;
      const plan = { ...DEFAULT_CROP_PLAN, maxPerImage: 3 };
      const result = await analyze({
        bytes: originals.get("sample3.jpg")!.bytes.slice(),
        embeddings: false,
        cropPlan: plan,
      });
      const kept = planCrops(result, result.faces, result.objects, plan).map((c) => c.source);
      assert.equal(kept.length, 3);
      const cut = [
        ...result.faces.map((face, index) => ({ kind: "face", index, crop: face.crop })),
        ...result.objects.map((object, index) => ({ kind: "object", index, crop: object.crop })),
      ];
      assert.ok(cut.length > 3, "there were more detections than the plan keeps");
      assert.deepEqual(
        cut.filter(({ crop }) => crop !== null).map(({ kind, index }) => ({ kind, index })),
        kept.toSorted((a, b) => a.kind.localeCompare(b.kind) || a.index - b.index),
      );
      // The same detections, cut the same, as without a plan.
      assert.equal(
        result.faces.length + result.objects.length,
        all.faces.length + all.objects.length,
      );
      for (const { kind, index, crop } of cut.filter((item) => item.crop !== null)) {
        const before = kind === "face" ? all.faces[index].crop! : all.objects[index].crop!;
        assert.deepEqual(crop!.box, before.box);
        assert.deepEqual(crop!.bytes, before.bytes);
      }
    });

    await t.step(
      "a damaged image fails that task with a 422 and the worker carries on",
      async () => {
        const bytes = originals.get("sample1.jpg")!.bytes.slice(0, 5000);
        await assert.rejects(analyze({ bytes }), /could not be decoded/);
        const again = await analyze({ bytes: originals.get("sample2.jpg")!.bytes, objects: false });
        assert.equal(again.faces.length, 3);
      },
    );
  } finally {
    pool.close();
  }
});

function centre(box: Box): [number, number] {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

function inside([x, y]: [number, number], box: Box): boolean {
  return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
}

Deno.test("the BlazeFace adapter (FACE_DETECTOR=blazeface_back_256) finds the same 22 faces", async () => {
  const vision = await visionInitFromCatalog({
    faceDetector: "blazeface_back_256",
    objectDetector: "none",
  });
  assert.equal(vision.objectDetector, undefined);
  const pool = startEnginePool({ size: 1, name: "blazeface-test", init: { vision } });
  try {
    await pool.ready();
    assert.ok(pool.stats().engines.includes("faces:blazeface_back_256"));
    for (const [file, expected] of Object.entries(reference.photos)) {
      const result = await pool.run("vision.analyze", {
        bytes: await fixturePhoto(file),
        embeddings: false,
        crops: false,
      });
      // Its boxes are shaped differently (tighter, square): match faces by their centres.
      assert.equal(result.faces.length, expected.length, file);
      for (const box of expected as unknown as Box[]) {
        const hits = result.faces.filter((face) => inside(centre(box), face.box));
        assert.equal(hits.length, 1, `${file}: ${hits.length} boxes on the face at ${box}`);
      }
    }
  } finally {
    pool.close();
  }
});

Deno.test("a configured model that does not exist is refused, naming the variable", async () => {
  await assert.rejects(
    visionInitFromCatalog({ faceDetector: "centernet" }),
    /FACE_DETECTOR=centernet is not a face_detector .* use one of blazeface_back_256, fr_detect/,
  );
  await assert.rejects(
    visionInitFromCatalog({ objectDetector: "/nowhere/yolo11n.onnx" }),
    /OBJECT_DETECTOR=\/nowhere\/yolo11n.onnx: the file does not exist/,
  );
});
