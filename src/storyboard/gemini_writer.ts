/**
 * Storyboards written by Gemini, through the same {@linkcode GeminiClient} as
 * reverse prompting: the response schema is the project's enum-constrained storyboard
 * schema, and the answer is parsed with the plain schema so that a tag outside the registry
 * reaches the server's validation (and its repair round-trip) instead of a blind retry.
 *
 * @module
 */
import { GeminiClient, type GeminiClientOptions } from "../llm/gemini_client.ts";
import { EnhancedStoryboardOutput } from "./schemas.ts";
import type { StoryboardTurn, StoryboardWriter, WrittenStoryboard } from "./writer.ts";

/** Sampling temperature: a storyboard is creative writing, within a strict schema. */
export const STORYBOARD_TEMPERATURE = 0.7;

/** Writes storyboards with Gemini. */
export class GeminiStoryboardWriter implements StoryboardWriter {
  readonly name = "gemini";
  readonly #client: GeminiClient;

  /** `options.timeoutMs` is the limit of one storyboard call (STORYBOARD_TIMEOUT_MS). */
  constructor(options: GeminiClientOptions) {
    this.#client = new GeminiClient(options);
  }

  get model(): string {
    return this.#client.model;
  }

  async write(
    turns: readonly StoryboardTurn[],
    jsonSchema: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<WrittenStoryboard> {
    return await this.#client.generateJson({
      contents: turns.map((turn) => ({ role: turn.role, parts: [{ text: turn.text }] })),
      jsonSchema,
      schema: EnhancedStoryboardOutput,
      temperature: STORYBOARD_TEMPERATURE,
      timeoutVariable: "STORYBOARD_TIMEOUT_MS",
    }, signal);
  }
}
