/**
 * Reverse prompting with Gemini: type-specific instructions and the image inline
 * with its real MIME type, answered as JSON that the zod schema validates. Timeouts, retries
 * and refused keys are handled by {@linkcode GeminiClient}; an answer that stays malformed
 * becomes that asset's `prompt_error`.
 *
 * @module
 */
import { GeminiClient, type GeminiClientOptions } from "./gemini_client.ts";
import { instructionsFor } from "./instructions.ts";
import { responseJsonSchema } from "./json_schema.ts";
import {
  type ReversePromptInput,
  ReversePromptOutput,
  type ReversePromptProvider,
  type ReversePromptResult,
} from "./provider.ts";

/** How a {@linkcode GeminiProvider} is set up. */
export interface GeminiOptions extends GeminiClientOptions {
  /** Calls in flight at most. */
  readonly concurrency: number;
}

/** The answer's JSON Schema, generated from the zod schema that validates it. */
const RESPONSE_SCHEMA = responseJsonSchema(ReversePromptOutput);

/** Sampling temperature: descriptive and stable rather than creative. */
export const TEMPERATURE = 0.4;

/** Describes assets with Gemini. */
export class GeminiProvider implements ReversePromptProvider {
  readonly name = "gemini" as const;
  readonly concurrency: number;
  readonly #client: GeminiClient;

  constructor(options: GeminiOptions) {
    this.concurrency = options.concurrency;
    this.#client = new GeminiClient(options);
  }

  /** The model in use (for `/readyz`). */
  get model(): string {
    return this.#client.model;
  }

  async describe(input: ReversePromptInput, signal?: AbortSignal): Promise<ReversePromptResult> {
    const { output, usage } = await this.#client.generateJson({
      contents: [{
        role: "user",
        parts: [
          { text: instructionsFor(input) },
          { inlineData: { mimeType: input.mime, data: base64(input.bytes) } },
        ],
      }],
      jsonSchema: RESPONSE_SCHEMA,
      schema: ReversePromptOutput,
      temperature: TEMPERATURE,
    }, signal);
    return { output, usage };
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
