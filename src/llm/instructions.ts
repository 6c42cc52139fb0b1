/**
 * The instructions a remote model gets for each kind of asset: what a generator
 * needs to recreate the subject, what must stay consistent across shots, and how to judge
 * the image as a reference. Written by us, plain text, no templating engine.
 *
 * @module
 */
import type { ReversePromptInput } from "./provider.ts";

const COMMON = `You are a visual reference analyst for AI video pre-production.
You receive one reference image of an asset that will be used to ground image and video
generation. Answer with JSON only, matching the response schema exactly.

- reverse_prompt: one generation-ready paragraph (60-140 words) that would let an image model
  recreate this subject faithfully: the identity-defining features first, then materials,
  colours (named precisely), lighting, lens and framing. No camera brand names, no artist
  names, no speculation about things not visible.
- visual_description: two to four factual sentences describing what is visible.
- quality_score: 0-10 with one decimal, how good this image is as a REFERENCE: sharp, well
  lit, unoccluded, subject large in frame and (for people) frontal score high; blur, heavy
  shadows, occlusion, tiny or cut-off subjects score low.
- suggested_name: a short name (2-5 words) for the subject as a casting or props list would
  write it, e.g. "Woman in red coat", "Vintage green bicycle".
Never guess age, ethnicity, gender identity, emotions or names of real people.`;

const BY_KIND: Readonly<Record<string, string>> = Object.freeze({
  CHARACTER: `The asset is a CHARACTER. Describe what must stay consistent for this person across
shots: face shape, hair (colour, length, style), facial hair, skin tone in neutral words,
distinctive marks, make-up, clothing layers with colours and materials, accessories, build.
If several people are visible, describe the most prominent one and say how many are visible.`,
  OBJECT: `The asset is an OBJECT, PROP, VEHICLE or OTHER item. Describe its category, shape and
proportions, materials and finish, colours, wear and damage, markings or text, and scale cues,
so the same item can be generated again from any angle.`,
  ENVIRONMENT: `The asset is an ENVIRONMENT. Describe the location type, architecture or
landscape, layout and depth, time of day, weather, light sources and their colour, dominant
palette, set dressing and atmosphere, so the same place can be generated again.`,
  STYLE: `The asset is a STYLE reference. Describe the look rather than the content: medium,
colour grading and palette, contrast and tonal range, lighting style, lens and depth of field,
texture and grain, composition habits, so other subjects can be generated in this style.`,
});

/** The instruction family of an asset type. */
export function instructionKind(assetType: string): keyof typeof BY_KIND {
  if (assetType === "CHARACTER" || assetType === "ENVIRONMENT" || assetType === "STYLE") {
    return assetType;
  }
  return "OBJECT";
}

/** The full instruction text for one asset. */
export function instructionsFor(input: Omit<ReversePromptInput, "bytes" | "mime">): string {
  const facts = [
    `Asset name given by the user: ${JSON.stringify(input.name)}.`,
    input.role === "upload"
      ? "The image is a photo uploaded by the user."
      : `The image is a crop of a ${input.role} (${input.detectionClass ?? "unknown class"}) ` +
        "cut out of a larger photo; judge it as a reference of that subject.",
    input.faceCount > 0 ? `Faces detected in the image: ${input.faceCount}.` : "",
  ].filter(Boolean).join("\n");
  return `${COMMON}\n\n${BY_KIND[instructionKind(input.assetType)]}\n\n${facts}`;
}
