/**
 * The local reverse-prompt provider: deterministic text from what the pixels
 * and the detectors actually show. Always available, no network, and honest about its
 * limits: it names colours, framing, light and sharpness, never age, gender or mood.
 *
 * The worker measures the image ({@linkcode imageStatsOf}); {@linkcode describeFromStats}
 * turns the measures into the provider's output and is pure, so it is tested on its own.
 *
 * @module
 */
import { capitalise } from "../text.ts";
import type { EnginePool } from "../engine/engine_pool.ts";
import type { NamedColour, PixelStats } from "../imaging/pixel_stats.ts";
import type { AssetType } from "../db/vocabulary.ts";
import {
  type ReversePrompt,
  type ReversePromptInput,
  ReversePromptOutput,
  type ReversePromptProvider,
  type ReversePromptResult,
} from "./provider.ts";

/** How a {@linkcode LocalAnalyzer} is built. */
export interface LocalAnalyzerOptions {
  /** The pool whose workers decode and measure images (`image.stats`). */
  readonly pool: EnginePool;
  /** Calls in flight; defaults to one more than the pool's size (each call holds one worker). */
  readonly concurrency?: number;
}

/** Describes assets from pixel statistics computed in the worker pool. */
export class LocalAnalyzer implements ReversePromptProvider {
  readonly name = "local" as const;
  readonly concurrency: number;
  readonly #pool: EnginePool;

  constructor(options: LocalAnalyzerOptions) {
    this.#pool = options.pool;
    // One more than the workers, so none idles while the step stores a result.
    this.concurrency = Math.max(1, options.concurrency ?? options.pool.stats().size + 1);
  }

  /**
   * Measures the image in a worker and describes it.
   *
   * @throws {AppError} 422 when the bytes are not a readable image.
   */
  async describe(input: ReversePromptInput, signal?: AbortSignal): Promise<ReversePromptResult> {
    signal?.throwIfAborted();
    // The copy is moved to the worker; the caller keeps its own bytes intact.
    const copy = input.bytes.slice();
    const stats = await this.#pool.run("image.stats", { bytes: copy }, [copy.buffer]);
    signal?.throwIfAborted();
    return { output: ReversePromptOutput.parse(describeFromStats(input, stats)) };
  }
}

/** What {@linkcode describeFromStats} needs besides the measures. */
export type DescribeInput = Omit<ReversePromptInput, "bytes">;

/**
 * The provider's output for an asset whose image measured `stats`. Deterministic: the same
 * input always gives the same text and score.
 */
export function describeFromStats(input: DescribeInput, stats: PixelStats): ReversePrompt {
  const view = viewOf(input, stats);
  return {
    reverse_prompt: reversePrompt(view),
    visual_description: visualDescription(view),
    quality_score: qualityScore(input, stats),
    suggested_name: suggestedName(view),
  };
}

// ---------------------------------------------------------------------------------------
// Quality score

/**
 * How much each factor counts in the score. The score is a weighted GEOMETRIC mean of
 * factors in 0..1, times 10: one bad factor pulls it down more than an average would,
 * because a blurry or black image is a poor reference however large it is.
 *
 * - sharpness 0.30: a generator copies what it can see; blur hides identity and detail.
 * - exposure 0.25: under- or over-exposure and clipped pixels lose features for good.
 * - resolution 0.20: a 60-px crop cannot show a face or a logo, however sharp.
 * - subject 0.15: one clear subject (one face, a large object) beats a group or a speck.
 * - contrast 0.10: flat images still work as references; it only nudges the score.
 */
export const QUALITY_WEIGHTS = Object.freeze({
  sharpness: 0.3,
  exposure: 0.25,
  resolution: 0.2,
  subject: 0.15,
  contrast: 0.1,
});

/** Below this a factor counts as this: zero would erase every other factor. */
const FACTOR_FLOOR = 0.02;

/** The factors of the score, each 0..1; exported for tests and tuning. */
export function qualityFactors(
  input: DescribeInput,
  stats: PixelStats,
): Record<keyof typeof QUALITY_WEIGHTS, number> {
  return {
    // Laplacian variance 10 (very blurred) → 0, 150 (in focus) → 1, on a log scale because
    // blur divides the variance rather than subtracting from it. Crops are measured at their
    // own resolution, where even a sharp face gives 30-200, hence the low upper end.
    sharpness: ramp(Math.log10(Math.max(1, stats.sharpness)), 1, Math.log10(150)),
    exposure: exposureFactor(stats),
    // Short side 48 px → 0, 512 px → 1, log scale: doubling matters equally at every size.
    resolution: ramp(Math.log2(Math.max(1, Math.min(stats.width, stats.height))), Math.log2(48), 9),
    subject: subjectFactor(input),
    // RMS contrast 0.03 (fog) → 0, 0.15 (an ordinary photo) → 1.
    contrast: ramp(stats.contrast, 0.03, 0.15),
  };
}

function qualityScore(input: DescribeInput, stats: PixelStats): number {
  const factors = qualityFactors(input, stats);
  let logScore = 0;
  for (const [key, weight] of Object.entries(QUALITY_WEIGHTS)) {
    const factor = factors[key as keyof typeof QUALITY_WEIGHTS];
    logScore += weight * Math.log(Math.max(FACTOR_FLOOR, factor));
  }
  const score = 10 * Math.exp(logScore);
  return Math.round(Math.min(10, Math.max(0, score)) * 10) / 10;
}

/** Mean luma 0.25–0.75 is fine; clipping costs up to 40 % (a white studio backdrop clips). */
function exposureFactor(stats: PixelStats): number {
  const level = Math.min(ramp(stats.exposure, 0.02, 0.25), 1 - ramp(stats.exposure, 0.75, 0.98));
  const clipped = stats.clippedDark + stats.clippedBright;
  return level * (1 - 0.4 * ramp(clipped, 0.05, 0.5));
}

/** How well the image isolates one subject of its kind. */
function subjectFactor(input: DescribeInput): number {
  // A detector's doubt usually means occlusion, blur or an odd angle.
  const confidence = input.detectionConfidence === null
    ? 1
    : 0.7 + 0.3 * clamp01(input.detectionConfidence);
  switch (input.role) {
    case "face":
      // The crop is the face: its size is judged by resolution, not by the parent's area.
      return confidence;
    case "person":
    case "object": {
      // A subject that was a speck in the photo is usually distant and poorly resolved.
      const size = 0.4 + 0.6 * clamp01(Math.sqrt(input.subjectFraction / 0.25));
      const crowd = input.role === "person" && input.faceCount > 1 ? 0.6 : 1;
      return clamp01(size) * crowd * confidence;
    }
    case "upload":
      if (input.assetType !== "CHARACTER") return 1;
      // One face is an identity reference; none or several leave the generator guessing.
      if (input.faceCount === 1) return 1;
      if (input.faceCount === 0) return 0.5;
      return Math.max(0.3, 0.7 - 0.1 * input.faceCount);
  }
}

function ramp(value: number, from: number, to: number): number {
  return clamp01((value - from) / (to - from));
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

// ---------------------------------------------------------------------------------------
// Words

type Template = "face" | "person" | "character" | "object" | "environment" | "style";

/** The facts every sentence draws on, computed once. */
interface View {
  readonly input: DescribeInput;
  readonly stats: PixelStats;
  readonly template: Template;
  /** The subject's noun: the detection class, or a word for the asset type. */
  readonly noun: string;
  /** Colours worth naming, with skin kept apart for people and renamed for things. */
  readonly colours: readonly NamedColour[];
  /** Every reported colour, with skin named for people and "tan" for things. */
  readonly allColours: readonly NamedColour[];
  readonly skinShare: number;
}

const TYPE_NOUNS: Readonly<Record<AssetType, string>> = Object.freeze({
  CHARACTER: "person",
  OBJECT: "object",
  ENVIRONMENT: "location",
  PROP: "prop",
  STYLE: "style",
  VEHICLE: "vehicle",
  OTHER: "subject",
});

/** What an upload of each type is a photo of, for the description. */
const KIND_WORDS: Readonly<Record<AssetType, string>> = Object.freeze({
  ...TYPE_NOUNS,
  CHARACTER: "character",
});

/** Colours under this share are listed in the description but not used in prompts. */
const PROMPT_COLOUR_SHARE = 0.06;
const DARK = new Set(["black", "dark grey", "navy", "dark red", "dark green", "brown"]);

function viewOf(input: DescribeInput, stats: PixelStats): View {
  const template = templateOf(input);
  const people = template === "face" || template === "person" || template === "character";
  const skinShare = stats.colours.find((colour) => colour.name === "skin tone")?.share ?? 0;
  // On people "skin tone" is skin; on things it is only a hue, which "tan" names better.
  const colours = people
    ? stats.colours.filter((colour) => colour.name !== "skin tone")
    : stats.colours.map((colour) =>
      colour.name === "skin tone" ? { ...colour, name: "tan" } : colour
    );
  const noun = input.detectionClass && input.role !== "upload"
    ? input.detectionClass.toLowerCase()
    : TYPE_NOUNS[input.assetType];
  const allColours = people ? stats.colours : colours;
  return { input, stats, template, noun, colours, allColours, skinShare };
}

function templateOf(input: DescribeInput): Template {
  if (input.role === "face") return "face";
  if (input.role === "person") return "person";
  switch (input.assetType) {
    case "CHARACTER":
      return input.role === "upload" ? "character" : "person";
    case "ENVIRONMENT":
      return "environment";
    case "STYLE":
      return "style";
    default:
      return "object";
  }
}

function reversePrompt(view: View): string {
  const { input, stats, noun } = view;
  const light = lighting(stats);
  const palette = listWords(promptColours(view));
  const withPalette = palette ? `, palette of ${palette}` : "";
  switch (view.template) {
    case "face":
      return `Close-up portrait of one human face filling the frame${withPalette}, ${light}. ` +
        "Keep the same face shape, facial features, skin tone, hairstyle and hair colour in " +
        "every shot; this crop is the identity reference for the character.";
    case "person": {
      const skin = view.skinShare >= MIN_SKIN ? " with visible skin" : "";
      const crowd = input.faceCount > 1 ? ` (${input.faceCount} faces in the crop)` : "";
      return `${figureFraming(stats)} of one person${crowd}${skin}${withPalette}, ${light}. ` +
        "Keep the same face, hairstyle, clothing, clothing colours and body proportions in " +
        "every shot; this crop is the character's full-look reference.";
    }
    case "character": {
      const who = input.faceCount === 1
        ? "Reference photo of one person, face visible"
        : input.faceCount === 0
        ? "Character reference photo (no face detected)"
        : `Group photo with ${input.faceCount} faces (the character is one of these people)`;
      return `${who}, ${orientation(stats)} frame${withPalette}, ${light}. ` +
        "Keep the same face, hairstyle, clothing colours and proportions in every shot so the " +
        "character stays recognisable.";
    }
    case "object": {
      const lead = view.colours[0];
      const subject = withArticle(lead ? `${lead.name} ${noun}` : noun);
      const framing = input.role === "object"
        ? "centred and filling the frame"
        : `${orientation(stats)} frame`;
      return `${capitalise(subject)}${withPalette}, ${framing}, ${light}. ` +
        `Keep the same shape, proportions, colours, materials and markings of the ${noun} in ` +
        `every shot; this is the ${TYPE_NOUNS[input.assetType]} reference.`;
    }
    case "environment": {
      const people = input.faceCount > 0 ? ", people present in the scene" : "";
      return `Location reference, ${orientation(stats)} view${withPalette}, ${light}${people}. ` +
        "Keep the same layout, landmarks, palette and light direction in every shot so the " +
        "location reads as one place.";
    }
    case "style":
      return `Visual style reference${withPalette}, ${light}, ${sharpnessWord(stats)} look. ` +
        "Apply the same palette, contrast, light mood and texture to every frame; take the " +
        "look, not the subject matter.";
  }
}

/** Skin covering less than this of a person crop is not mentioned. */
const MIN_SKIN = 0.05;

function visualDescription(view: View): string {
  const { input, stats } = view;
  // "An 800×600 px …": the article follows how the number is spoken.
  const size = `${/^(8|1[18](\d{3})*$)/.test(String(stats.width)) ? "An" : "A"} ` +
    `${stats.width}×${stats.height} px`;
  const confidence = input.detectionConfidence === null
    ? ""
    : ` (confidence ${percent(input.detectionConfidence)})`;
  const origin = ` covering ${percent(input.subjectFraction)} of the original photo`;
  let what: string;
  switch (input.role) {
    case "face":
      what = `${size} close-up crop of one detected face${confidence},${origin}.`;
      break;
    case "person":
      what = `${size} crop of one detected person${confidence},${origin}` +
        (input.faceCount > 0 ? `, with ${faces(input.faceCount)} inside.` : ".");
      break;
    case "object":
      what = `${size} crop of a detected ${view.noun}${confidence},${origin}.`;
      break;
    case "upload": {
      const kind = input.assetType === "STYLE"
        ? "style reference"
        : `${KIND_WORDS[input.assetType]} photo`;
      const faceNote = input.faceCount > 0 || input.assetType === "CHARACTER"
        ? ` with ${faces(input.faceCount)} detected`
        : "";
      what = `${size} ${orientation(stats)} ${kind}${faceNote}.`;
      break;
    }
  }
  const colours = view.allColours.length === 0
    ? "No colour covers a notable part of the image."
    : `Dominant colours: ${
      listWords(view.allColours.map((colour) => `${colour.name} (${percent(colour.share)})`))
    }.`;
  return `${what} ${colours} ${lightSentence(stats)}`;
}

function lightSentence(stats: PixelStats): string {
  const clipped: string[] = [];
  if (stats.clippedDark >= 0.05) clipped.push(`${percent(stats.clippedDark)} crushed to black`);
  if (stats.clippedBright >= 0.05) clipped.push(`${percent(stats.clippedBright)} blown to white`);
  const clipping = clipped.length > 0 ? `, ${listWords(clipped)}` : "";
  return `The image is ${sharpnessWord(stats)}, with ${lighting(stats)} (mean brightness ` +
    `${percent(stats.exposure)}, ${contrastWord(stats)} contrast${clipping}).`;
}

function suggestedName(view: View): string {
  const { input, stats, noun } = view;
  const names = view.colours.slice(0, 2).map((colour) => colour.name);
  const inColours = names.length > 0 ? ` in ${listWords(names)}` : "";
  let name: string;
  switch (view.template) {
    case "face":
      name = `Face${inColours}`;
      break;
    case "person":
    case "character": {
      const dark = names.length > 0 && names.every((colour) => DARK.has(colour));
      const who = view.template === "character" && input.faceCount > 1
        ? `Group of ${input.faceCount}`
        : "Person";
      name = dark && view.template === "person" ? `${who} in dark tones` : `${who}${inColours}`;
      break;
    }
    case "object":
      name = names.length > 0 ? `${names[0]} ${noun}` : noun;
      break;
    case "environment":
      name = `${keyWord(stats)} scene${inColours}`.trim();
      break;
    case "style":
      name = `${keyWord(stats) || "Balanced"} style${inColours}`;
      break;
  }
  return capitalise(name.trim()).slice(0, 60);
}

/** The colours named in a prompt: the main ones, at most three. */
function promptColours(view: View): string[] {
  return view.colours.filter((colour) => colour.share >= PROMPT_COLOUR_SHARE).slice(0, 3)
    .map((colour) => colour.name);
}

function lighting(stats: PixelStats): string {
  const contrast = contrastWord(stats);
  if (stats.exposure < 0.3) {
    return contrast === "high"
      ? "dim low-key light with deep shadows"
      : contrast === "low"
      ? "dim, flat low-key light"
      : "dim low-key light";
  }
  if (stats.exposure > 0.65) {
    return contrast === "high"
      ? "bright high-key light with strong contrast"
      : contrast === "low"
      ? "bright, soft high-key light"
      : "bright high-key light";
  }
  return contrast === "high"
    ? "high-contrast light"
    : contrast === "low"
    ? "soft low-contrast light"
    : "evenly balanced light";
}

/** "Dim", "Bright" or "" for the light key, as a name's first word. */
function keyWord(stats: PixelStats): string {
  return stats.exposure < 0.3 ? "Dim" : stats.exposure > 0.65 ? "Bright" : "";
}

function contrastWord(stats: PixelStats): "low" | "moderate" | "high" {
  return stats.contrast < 0.12 ? "low" : stats.contrast > 0.27 ? "high" : "moderate";
}

/** Thresholds on the Laplacian variance at the working size (see PixelStats.sharpness). */
function sharpnessWord(stats: PixelStats): string {
  if (stats.sharpness < 20) return "blurry";
  if (stats.sharpness < 60) return "soft";
  if (stats.sharpness < 150) return "fairly sharp";
  return "sharp";
}

/** A person box's shape tells whether the whole body is in it. */
function figureFraming(stats: PixelStats): string {
  return stats.height >= 1.6 * stats.width ? "Full-figure shot" : "Partial-figure shot";
}

function orientation(stats: PixelStats): string {
  const ratio = stats.width / stats.height;
  return ratio > 1.1 ? "landscape" : ratio < 0.9 ? "portrait" : "square";
}

function faces(count: number): string {
  return count === 0 ? "no face" : count === 1 ? "one face" : `${count} faces`;
}

function percent(fraction: number): string {
  const value = Math.round(fraction * 100);
  return value === 0 && fraction > 0 ? "under 1%" : `${value}%`;
}

/** "a", "a and b", "a, b and c". */
function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** COCO labels that are plural nouns and take no article. */
const PLURALS = new Set(["skis", "scissors"]);

function withArticle(phrase: string): string {
  if (PLURALS.has(phrase.split(" ").at(-1)!)) return phrase;
  return `${/^[aeiou]/i.test(phrase) ? "an" : "a"} ${phrase}`;
}
