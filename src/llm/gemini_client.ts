/**
 * One structured-output call to Gemini through `@google/genai`, made to survive the real
 * world: a per-call timeout, retries with backoff that honour `Retry-After` on 429/503,
 * malformed or schema-violating answers retried, and an invalid key or unknown model
 * stopping at once with a message naming the variable to fix. The reverse-prompt provider
 * and the storyboard writer both call Gemini through it.
 *
 * @module
 */
import { describeIssues } from "../zod_issues.ts";
import { ApiError, type Content, GoogleGenAI } from "@google/genai";
import type { z } from "zod";
import { ProviderFatalError, type TokenUsage } from "./provider.ts";
import { parseRetryAfter, retryDelayMs, sleep } from "./retry.ts";

/** How a {@linkcode GeminiClient} is set up. */
export interface GeminiClientOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Another endpoint (tests: a local fake); the SDK's default otherwise. */
  readonly baseUrl?: string;
  /** Time limit of one attempt. */
  readonly timeoutMs: number;
  /** Attempts after the first. */
  readonly maxRetries: number;
  /** For tests of the policy; `Math.random` otherwise. */
  readonly random?: () => number;
}

/** One request for a JSON answer. */
export interface JsonRequest<T> {
  readonly contents: Content[];
  /** Sent as `responseJsonSchema`: what the model must produce. */
  readonly jsonSchema: Record<string, unknown>;
  /** Validates the answer (it may accept more than `jsonSchema`, e.g. to repair it later). */
  readonly schema: z.ZodType<T>;
  readonly temperature: number;
  /** Overrides the client's per-attempt time limit. */
  readonly timeoutMs?: number;
  /** Names the variable that sets the time limit in a timeout message. */
  readonly timeoutVariable?: string;
}

/** A validated answer, its text as the model wrote it, and what it cost. */
export interface JsonAnswer<T> {
  readonly output: T;
  readonly text: string;
  readonly usage: TokenUsage;
}

/** An attempt's failure and what to do about it. */
interface Failure {
  readonly action: "retry" | "give_up" | "fatal";
  readonly message: string;
  readonly retryAfterMs: number | null;
}

/** Calls Gemini for JSON answers. */
export class GeminiClient {
  readonly #options: GeminiClientOptions;
  readonly #ai: GoogleGenAI;

  constructor(options: GeminiClientOptions) {
    this.#options = Object.freeze({ ...options });
    this.#ai = new GoogleGenAI({
      apiKey: options.apiKey,
      httpOptions: {
        ...(options.baseUrl && { baseUrl: options.baseUrl }),
        apiVersion: "v1beta",
      },
    });
  }

  /** The model in use. */
  get model(): string {
    return this.#options.model;
  }

  /**
   * Asks until a valid answer comes or the retries are spent.
   *
   * @throws {ProviderFatalError} when the key or the model is refused: retrying cannot help.
   * @throws {Error} with what went wrong and how many attempts were made, otherwise.
   */
  async generateJson<T>(request: JsonRequest<T>, signal?: AbortSignal): Promise<JsonAnswer<T>> {
    const timeoutMs = request.timeoutMs ?? this.#options.timeoutMs;
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
          model: this.#options.model,
          contents: request.contents,
          config: {
            responseMimeType: "application/json",
            responseJsonSchema: request.jsonSchema,
            temperature: request.temperature,
            abortSignal: signal,
            httpOptions: { timeout: timeoutMs, fetch: recordingFetch },
          },
        });
        const output = parseAnswer(response.text, request.schema);
        if (output.ok) {
          return {
            output: output.value,
            text: response.text ?? "",
            usage: {
              inputTokens: response.usageMetadata?.promptTokenCount ?? 0,
              // Thinking models bill their thoughts as output too.
              outputTokens: (response.usageMetadata?.candidatesTokenCount ?? 0) +
                (response.usageMetadata?.thoughtsTokenCount ?? 0),
            },
          };
        }
        failure = { action: "retry", message: output.problem, retryAfterMs: null };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        failure = this.#classify(error, parseRetryAfter(retryAfter), timeoutMs, request);
      }
      if (failure.action === "fatal") throw new ProviderFatalError(failure.message);
      if (failure.action === "give_up" || attempt >= this.#options.maxRetries) {
        const tries = attempt + 1;
        throw new Error(`${failure.message} (${tries} attempt${tries > 1 ? "s" : ""}).`);
      }
      await sleep(retryDelayMs(attempt, failure.retryAfterMs, this.#options.random), signal);
    }
  }

  #classify(
    error: unknown,
    retryAfterMs: number | null,
    timeoutMs: number,
    request: JsonRequest<unknown>,
  ): Failure {
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
    const variable = request.timeoutVariable ?? "GEMINI_TIMEOUT_MS";
    return {
      action: "retry",
      message: timedOut
        ? `Gemini did not answer within ${timeoutMs} ms (${variable})`
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
function parseAnswer<T>(
  text: string | undefined,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; problem: string } {
  if (!text) return { ok: false, problem: "Gemini's answer was empty" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: "Gemini's answer was not valid JSON" };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = describeIssues(parsed.error.issues);
  return {
    ok: false,
    problem: `Gemini's answer did not match the schema (${problems.join("; ").slice(0, 300)})`,
  };
}
