import assert from "node:assert/strict";
import { assetTypeOfClass, planCrops } from "./crop_plan.ts";

const IMAGE = { width: 1000, height: 800 };

Deno.test("classes map to asset types as the crop plan says", () => {
  assert.equal(assetTypeOfClass("person"), "CHARACTER");
  assert.equal(assetTypeOfClass("truck"), "VEHICLE");
  assert.equal(assetTypeOfClass("couch"), "PROP");
  assert.equal(assetTypeOfClass("cup"), "OBJECT");
});

Deno.test("a face's parent is the smallest person box around it", () => {
  const plan = planCrops(
    IMAGE,
    [{ box: [420, 120, 480, 190], score: 0.9 }, { box: [900, 700, 950, 760], score: 0.8 }],
    [
      { box: [0, 0, 1000, 800], score: 0.3, label: "person" }, // a loose, big box
      { box: [380, 100, 560, 700], score: 0.7, label: "person" },
      { box: [600, 400, 800, 600], score: 0.6, label: "cup" },
    ],
  );
  assert.deepEqual(plan.map((c) => c.role), ["person", "object", "person", "face", "face"]);
  const [tight, cup, loose, face1, face2] = plan;
  assert.equal(tight.confidence, 0.7);
  assert.equal(cup.assetType, "OBJECT");
  assert.equal(face1.parent, tight.key);
  assert.equal(face2.parent, loose.key);
  assert.deepEqual(face1.source, { kind: "face", index: 0 });
});

Deno.test("overlapping people: a face belongs to the box whose upper part holds it", () => {
  // sample5.jpg: the bottom-left woman's face is also inside the lower part of the box of
  // the woman behind her, which is smaller than her own box.
  const plan = planCrops(
    { width: 1920, height: 1398 },
    [{ box: [372, 886, 551, 1164], score: 0.9 }],
    [
      { box: [360, 339, 700, 1180], score: 0.5, label: "person" }, // behind, smaller
      { box: [64, 800, 773, 1398], score: 0.4, label: "person" }, // her own
    ],
  );
  assert.equal(plan[2].role, "face");
  assert.equal(plan[2].parent, 1);
});

Deno.test("small boxes are dropped and at most maxPerImage are kept, faces first", () => {
  const plan = planCrops(
    IMAGE,
    [{ box: [0, 0, 31, 60], score: 0.99 }, { box: [100, 100, 140, 140], score: 0.7 }],
    [
      { box: [0, 0, 100, 100], score: 0.9, label: "cup" }, // 1.25 % of the image
      { box: [0, 0, 200, 200], score: 0.5, label: "book" },
      { box: [300, 300, 600, 600], score: 0.4, label: "chair" },
    ],
    { minFaceSide: 32, minObjectFraction: 0.02, maxPerImage: 2 },
  );
  assert.deepEqual(plan.map((c) => c.detectionClass), ["book", "face"]);
});
