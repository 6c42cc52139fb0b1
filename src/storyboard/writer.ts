/**
 * What writes a storyboard: an LLM with structured output, behind a small interface so the
 * job does not care which one.
 *
 * @module
 */
import type { TokenUsage } from "../llm/provider.ts";
import type { EnhancedStoryboardOutput } from "./schemas.ts";

/** One turn of the conversation with the writer. */
export interface StoryboardTurn {
  readonly role: "user" | "model";
  readonly text: string;
}

/** A storyboard as the writer answered it (tags not yet checked), with its raw text. */
export interface WrittenStoryboard {
  readonly output: EnhancedStoryboardOutput;
  /** The answer as written, sent back as the model's turn of a repair round-trip. */
  readonly text: string;
  readonly usage: TokenUsage;
}

/** Writes storyboards. */
export interface StoryboardWriter {
  readonly name: string;
  readonly model: string;
  /**
   * Answers the conversation with a storyboard shaped by `jsonSchema`.
   *
   * @throws {import("../llm/provider.ts").ProviderFatalError} when the LLM refuses the key
   *   or the model.
   */
  write(
    turns: readonly StoryboardTurn[],
    jsonSchema: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<WrittenStoryboard>;
}
