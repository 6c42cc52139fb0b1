/**
 * Reverse prompting with Gemini through `@google/genai` (SPEC §7.2), made to survive the real
 * world: a per-call timeout, retries with backoff that honour `Retry-After` on 429/503,
 * malformed or schema-violating answers retried and then recorded on the asset, and an
 * invalid key or unknown model stopping the job at once instead of failing every asset.
 *
 * @module
 */
import { ApiError, GoogleGenAI } from "@google/genai";
import { instructionsFor } from "./instructions.ts";
import { responseJsonSchema } from "./json_schema.ts";
import {
  ProviderFatalError,
  type ReversePrompt,
  type ReversePromptInput,
  ReversePromptOutput,
  type ReversePromptProvider,
  type ReversePromptResult,
} from "./provider.ts";
import { parseRetryAfter, retryDelayMs, sleep } from "./retry.ts";

/** How a {@linkcode GeminiProvider} is set up. */
export interface GeminiOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Another endpoint (tests: a local fake); the SDK's default otherwise. */
  readonly baseUrl?: string;
  /** Calls in flight at most. */
  readonly concurrency: number;
  /** Time limit of one attempt. */
  readonly timeoutMs: number;
  /** Attempts after the first. */
  readonly maxRetries: number;
  /** For tests of the policy; `Math.random` otherwise. */
  readonly random?: () => number;
}

/** The answer's JSON Schema, generated from the zod schema that validates it. */
const RESPONSE_SCHEMA = responseJsonSchema(ReversePromptOutput);

/** Sampling temperature: descriptive and stable rather than creative. */
export const TEMPERATURE = 0.4;

/** An attempt's failure and what to do about it. */
interface Failure {
  readonly action: "retry" | "give_up" | "fatal";
  readonly message: string;
  readonly retryAfterMs: number | null;
}

/** Describes assets with Gemini. */
export class GeminiProvider implements ReversePromptProvider {
  readonly name = "gemini" as const;
  readonly concurrency: number;
  readonly #options: GeminiOptions;
  readonly #ai: GoogleGenAI;

  constructor(options: GeminiOptions) {
    this.#options = Object.freeze({ ...options });
    this.concurrency = options.concurrency;
    this.#ai = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        ...(options.baseUrl && { baseUrl: options.baseUrl }),
        apiVersion: "v1beta",
      },
    });
  }

  /** The model in use (for `/readyz`). */
  get model(): string {
    return this.#options.model;
  }

  async describe(input: ReversePromptInput, signal?: AbortSignal): Promise<ReversePromptResult> {
    const request = this.#request(input);
    for (let attempt = 0;; attempt++) {
      signal?.throwIfAborted();
      let retryAfter: string | null = null;
      // The SDK's errors carry the status but not the headers: read Retry-After on the way.
      const recordingFetch: typeof fetch = async (resource, init) => {
        const response = await fetch(resource, init);
        retryAfter = response.headers.get("retry-after");
        return response;
      };
      let failure: Failure;
      try {
        const response = await this.#ai.models.generateContent({
          ...request,
          config: {
            ...request.config,
            abortSignal: signal,
            httpOptions: { timeout: this.#options.timeoutMs, fetch: recordingFetch },
          },
        });
        const output = parseAnswer(response.text);
        if (typeof output !== "string") {
          return {
            output,
            usage: {
              inputTokens: response.usageMetadata?.promptTokenCount ?? 0,
              // Thinking models bill their thoughts as output too.
              outputTokens: (response.usageMetadata?.candidatesTokenCount ?? 0) +
                (response.usageMetadata?.thoughtsTokenCount ?? 0),
            },
          };
        }
        failure = { action: "retry", message: output, retryAfterMs: null };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failure = this.#classify(error, parseRetryAfter(retryAfter));
      }
      if (failure.action === "fatal") throw new ProviderFatalError(failure.message);
      if (failure.action === "give_up" || attempt >= this.#options.maxRetries) {
        const tries = attempt + 1;
        throw new Error(`${failure.message} (${tries} attempt${tries > 1 ? "s" : ""}).`);
      }
      await sleep(
        retryDelayMs(attempt, failure.retryAfterMs, this.#options.random),
        signal,
      );
    }
  }

  #request(input: ReversePromptInput) {
    return {
      model: this.#options.model,
      contents: [{
        role: "user",
        parts: [
          { text: instructionsFor(input) },
          { inlineData: { mimeType: input.mime, data: base64(input.bytes) } },
        ],
      }],
      config: {
        responseMimeType: "application/json",
        responseJsonSchema: RESPONSE_SCHEMA,
        temperature: TEMPERATURE,
      },
    };
  }

  #classify(error: unknown, retryAfterMs: number | null): Failure {
    const message = this.#redact(error instanceof Error ? error.message : String(error));
    if (error instanceof ApiError) {
      const status = error.status;
      // Real Gemini answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID.
      if (status === 401 || status === 403 || /API_KEY_INVALID/.test(error.message)) {
        return {
          action: "fatal",
          message: `Gemini refused the API key (HTTP ${status}): set GEMINI_API_KEY to a valid ` +
            "key with access to the Gemini API, or use REVERSE_PROMPT_PROVIDER=local.",
          retryAfterMs: null,
        };
      }
      if (status === 404) {
        return {
          action: "fatal",
          message: `Gemini does not know the model ${this.#options.model} (HTTP 404): set ` +
            "GEMINI_MODEL to an available model, e.g. gemini-2.5-flash.",
          retryAfterMs: null,
        };
      }
      const retryable = status === 408 || status === 429 || status >= 500;
      return {
        action: retryable ? "retry" : "give_up",
        message: `Gemini answered HTTP ${status}: ${message.slice(0, 300)}`,
        retryAfterMs: status === 429 || status === 503 ? retryAfterMs : null,
      };
    }
    const timedOut = error instanceof Error && (error.name === "AbortError" ||
      error.name === "TimeoutError" || /abort/i.test(error.message));
    return {
      action: "retry",
      message: timedOut
        ? `Gemini did not answer within ${this.#options.timeoutMs} ms (GEMINI_TIMEOUT_MS)`
        : `Gemini could not be reached: ${message.slice(0, 300)}`,
      retryAfterMs: null,
    };
  }

  /** The key must never reach a log, an error or a response. */
  #redact(text: string): string {
    return text.split(this.#options.apiKey).join("[redacted]");
  }
}

/** The validated answer, or a sentence saying what was wrong with it. */
function parseAnswer(text: string | undefined): ReversePrompt | string {
  if (!text) return "Gemini's answer was empty";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "Gemini's answer was not valid JSON";
  }
  const parsed = ReversePromptOutput.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  return `Gemini's answer did not match the schema (${problems.join("; ").slice(0, 300)})`;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
