/**
 * The reverse-prompting contract: what every provider receives and must return.
 * The output schema is the single source of the type, of the validation of a provider's
 * answer, and (for Gemini) of the JSON schema sent with the request.
 *
 * @module
 */
import { z } from "zod";
import type { AssetType } from "../db/vocabulary.ts";

/** What a provider returns for one asset. */
export const ReversePromptOutput = z.object({
  reverse_prompt: z.string().min(1).max(4000).describe(
    "A generation-ready prompt that recreates the subject: identity-defining features, " +
      "materials, colours, lighting and framing, in one paragraph.",
  ),
  visual_description: z.string().min(1).max(4000).describe(
    "What is visible in the image, factual, two to four sentences.",
  ),
  quality_score: z.number().min(0).max(10).describe(
    "How suitable the image is as a reference, 0-10: clear, well lit, unoccluded and " +
      "frontal score higher.",
  ),
  suggested_name: z.string().min(1).max(200).optional().describe(
    "A short name for the subject, e.g. 'Woman in red coat'.",
  ),
}).meta({ id: "ReversePromptOutput" });

/** One of {@linkcode ReversePromptOutput}. */
export type ReversePrompt = z.infer<typeof ReversePromptOutput>;

/** What the pipeline knows about an asset when it asks for its description. */
export interface ReversePromptInput {
  /** The image as stored (upright). */
  readonly bytes: Uint8Array;
  readonly mime: string;
  readonly assetType: AssetType;
  readonly name: string;
  /** How the asset was made: an upload, or a crop of a face, a person or an object. */
  readonly role: "upload" | "face" | "person" | "object";
  /** The detector's class (`person`, `car`, `face` …) and confidence, for crops. */
  readonly detectionClass: string | null;
  readonly detectionConfidence: number | null;
  /** Faces the detector found inside this image (uploads) or 1 for a face crop. */
  readonly faceCount: number;
  /** Fraction of the parent upload's area this crop covers (1 for uploads). */
  readonly subjectFraction: number;
}

/** Token usage reported by a remote provider, summed per manifest. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A provider's answer: the validated output, and its usage when it has one. */
export interface ReversePromptResult {
  readonly output: ReversePrompt;
  readonly usage?: TokenUsage;
}

/** Something that describes assets: the local analyzer, Gemini. */
export interface ReversePromptProvider {
  /** Recorded on each asset as `provider`. */
  readonly name: "local" | "gemini";
  /** How many calls may run at once. */
  readonly concurrency: number;
  /**
   * Describes one asset. Throws an error whose message is recorded as the asset's
   * `prompt_error`; throws a {@linkcode ProviderFatalError} when no further asset can
   * succeed (a wrong key), which stops the job.
   */
  describe(input: ReversePromptInput, signal?: AbortSignal): Promise<ReversePromptResult>;
}

/** A failure no retry or other asset can fix (invalid key, unknown model): stop the job. */
export class ProviderFatalError extends Error {
  override name = "ProviderFatalError";
}
