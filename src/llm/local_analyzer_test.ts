import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { AppError } from "../errors.ts";
import type { PixelStats } from "../imaging/pixel_stats.ts";
import { startEnginePool } from "../engine/engine_pool.ts";
import { describeFromStats, type DescribeInput, LocalAnalyzer } from "./local_analyzer.ts";
import { ReversePromptOutput } from "./provider.ts";

/** A well-exposed, sharp 800×1200 image in navy and beige. */
const GOOD: PixelStats = Object.freeze({
  width: 800,
  height: 1200,
  sharpness: 600,
  exposure: 0.48,
  clippedDark: 0.01,
  clippedBright: 0.01,
  contrast: 0.22,
  colours: [
    { name: "navy", share: 0.41, hex: "#1a2a5a" },
    { name: "skin tone", share: 0.22, hex: "#e0ac69" },
    { name: "beige", share: 0.18, hex: "#e6d8bd" },
    { name: "black", share: 0.08, hex: "#101010" },
    { name: "red", share: 0.04, hex: "#c0392b" },
  ],
});

const UPLOAD: DescribeInput = Object.freeze({
  mime: "image/jpeg",
  assetType: "CHARACTER",
  name: "IMG_0001",
  role: "upload",
  detectionClass: null,
  detectionConfidence: null,
  faceCount: 1,
  subjectFraction: 1,
});

const FACE: DescribeInput = {
  ...UPLOAD,
  role: "face",
  detectionClass: "face",
  detectionConfidence: 0.93,
  subjectFraction: 0.02,
};

const CAR: DescribeInput = {
  ...UPLOAD,
  assetType: "VEHICLE",
  role: "object",
  detectionClass: "car",
  detectionConfidence: 0.81,
  faceCount: 0,
  subjectFraction: 0.2,
};

const RED_CAR: PixelStats = {
  ...GOOD,
  width: 900,
  height: 500,
  colours: [
    { name: "red", share: 0.52, hex: "#c0392b" },
    { name: "grey", share: 0.21, hex: "#808080" },
    { name: "black", share: 0.12, hex: "#111111" },
  ],
};

function describe(input: DescribeInput, stats: PixelStats) {
  return ReversePromptOutput.parse(describeFromStats(input, stats));
}

Deno.test("describeFromStats is deterministic and schema-valid for every template", () => {
  const inputs: DescribeInput[] = [
    UPLOAD,
    { ...UPLOAD, faceCount: 0 },
    { ...UPLOAD, faceCount: 4 },
    FACE,
    { ...UPLOAD, role: "person", detectionClass: "person", detectionConfidence: 0.7 },
    CAR,
    { ...CAR, assetType: "PROP", detectionClass: "dining table" },
    { ...UPLOAD, assetType: "OBJECT", faceCount: 0 },
    { ...UPLOAD, assetType: "OTHER", faceCount: 0 },
    { ...UPLOAD, assetType: "ENVIRONMENT", faceCount: 2 },
    { ...UPLOAD, assetType: "STYLE", faceCount: 0 },
  ];
  for (const input of inputs) {
    const first = describe(input, GOOD);
    assert.deepEqual(describeFromStats(input, GOOD), first);
    assert.ok(
      first.suggested_name && first.suggested_name.length <= 60,
      first.suggested_name ?? "none",
    );
    assert.equal(first.quality_score, Math.round(first.quality_score * 10) / 10);
    const sentences = first.visual_description.split(/(?<=\.) /).length;
    assert.ok(sentences >= 2 && sentences <= 4, first.visual_description);
  }
});

Deno.test("describeFromStats never guesses age, gender or emotion", () => {
  const words = /\b(man|woman|boy|girl|male|female|young|old|aged?|happy|sad|smil\w*|angry)\b/i;
  for (const input of [UPLOAD, FACE, { ...UPLOAD, role: "person" as const }]) {
    const output = describe(input, GOOD);
    for (const text of [output.reverse_prompt, output.visual_description, output.suggested_name]) {
      assert.doesNotMatch(text!, words);
    }
  }
});

Deno.test("describeFromStats scores a blurrier or darker image of the same content lower", () => {
  const good = describe(UPLOAD, GOOD).quality_score;
  const soft = describe(UPLOAD, { ...GOOD, sharpness: 60 }).quality_score;
  const blurry = describe(UPLOAD, { ...GOOD, sharpness: 20 }).quality_score;
  const dark = describe(UPLOAD, { ...GOOD, exposure: 0.12, clippedDark: 0.3 }).quality_score;
  const blown = describe(UPLOAD, { ...GOOD, exposure: 0.9, clippedBright: 0.5 }).quality_score;
  assert.ok(good >= 9, `good ${good}`);
  assert.ok(good > soft && soft > blurry, `${good} > ${soft} > ${blurry}`);
  assert.ok(dark < good - 1.5, `dark ${dark}`);
  assert.ok(blown < good - 1.5, `blown ${blown}`);
});

Deno.test("describeFromStats prefers one face to a group, and big crops to tiny ones", () => {
  const one = describe(UPLOAD, GOOD).quality_score;
  const group = describe({ ...UPLOAD, faceCount: 3 }, GOOD).quality_score;
  assert.ok(one > group, `${one} > ${group}`);
  const big = describe(FACE, GOOD).quality_score;
  const tiny = describe(FACE, { ...GOOD, width: 40, height: 52 }).quality_score;
  assert.ok(big > tiny + 2, `${big} vs ${tiny}`);
  const near = describe(CAR, RED_CAR).quality_score;
  const far = describe({ ...CAR, subjectFraction: 0.005 }, RED_CAR).quality_score;
  assert.ok(near > far, `${near} > ${far}`);
});

Deno.test("describeFromStats names an object crop by colour and class", () => {
  const output = describe(CAR, RED_CAR);
  assert.match(output.reverse_prompt, /^A red car\b/);
  assert.match(output.reverse_prompt, /Keep the same shape/);
  assert.match(output.visual_description, /detected car \(confidence 81%\)/);
  assert.equal(output.suggested_name, "Red car");
  const table = describe({ ...CAR, assetType: "PROP", detectionClass: "dining table" }, {
    ...RED_CAR,
    colours: [{ name: "orange", share: 0.6, hex: "#e8752a" }],
  });
  assert.match(table.reverse_prompt, /^An orange dining table\b/);
  // On things the skin-like hue is "tan": the text never calls a car's paint skin.
  const tan = describe(CAR, GOOD);
  assert.equal(tan.suggested_name, "Navy car");
  for (const text of [tan.reverse_prompt, tan.visual_description]) {
    assert.doesNotMatch(text, /skin/);
    assert.match(text, /\btan\b/);
  }
});

Deno.test("describeFromStats describes a face crop as a close-up without naming skin as colour", () => {
  const output = describe(FACE, GOOD);
  assert.match(output.reverse_prompt, /^Close-up portrait of one human face/);
  assert.match(output.reverse_prompt, /identity reference/);
  assert.equal(output.suggested_name, "Face in navy and beige");
  assert.match(output.visual_description, /^An 800×1200 px close-up crop of one detected face/);
  assert.match(output.visual_description, /skin tone \(22%\)/);
});

Deno.test("describeFromStats puts light into words", () => {
  const dim = describe(UPLOAD, { ...GOOD, exposure: 0.15, contrast: 0.3 });
  assert.match(dim.reverse_prompt, /dim low-key light with deep shadows/);
  const bright = describe(UPLOAD, { ...GOOD, exposure: 0.8 });
  assert.match(bright.reverse_prompt, /bright high-key light/);
  const flat = describe(UPLOAD, { ...GOOD, contrast: 0.07 });
  assert.match(flat.reverse_prompt, /soft low-contrast light/);
  const blown = describe(UPLOAD, { ...GOOD, exposure: 0.9, clippedBright: 0.5 });
  assert.match(blown.visual_description, /50% blown to white/);
});

Deno.test("describeFromStats copes with an image without a notable colour", () => {
  const output = describe(CAR, { ...RED_CAR, colours: [] });
  assert.match(output.reverse_prompt, /^A car, /);
  assert.equal(output.suggested_name, "Car");
  assert.match(output.visual_description, /No colour covers a notable part/);
});

Deno.test("LocalAnalyzer describes a demo photo through the worker pool and refuses damage", async () => {
  const pool = startEnginePool({ size: 1, name: "local-analyzer-test" });
  try {
    await pool.ready();
    const analyzer = new LocalAnalyzer({ pool });
    assert.equal(analyzer.name, "local");
    assert.equal(analyzer.concurrency, 2, "one call per worker and one waiting");

    const bytes = await fixturePhoto("sample1.jpg");
    const before = bytes.slice();
    const input = { ...UPLOAD, bytes, faceCount: 3 };
    const { output } = await analyzer.describe(input);
    assert.deepEqual(bytes, before, "the caller's bytes are not moved to the worker");
    ReversePromptOutput.parse(output);
    assert.match(output.visual_description, /^A 1920×1280 px landscape character photo/);
    assert.match(output.reverse_prompt, /Group photo with 3 faces/);
    assert.ok(output.quality_score > 3 && output.quality_score < 9, `${output.quality_score}`);
    assert.deepEqual((await analyzer.describe(input)).output, output, "deterministic");

    const damaged = bytes.slice(0, 2000);
    await assert.rejects(analyzer.describe({ ...input, bytes: damaged }), (error: Error) => {
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.status, 422);
      return true;
    });
    const garbage = new TextEncoder().encode("not an image at all");
    await assert.rejects(analyzer.describe({ ...input, bytes: garbage }), (error: Error) => {
      assert.ok(error instanceof AppError && error.status === 422, String(error));
      return true;
    });

    const aborted = AbortSignal.abort(new Error("Cancelled."));
    await assert.rejects(analyzer.describe(input, aborted), /Cancelled/);
  } finally {
    pool.close();
  }
});
