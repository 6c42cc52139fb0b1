/**
 * Messages between the worker pool and its workers.
 *
 * A worker answers `ready` once after loading its engines, then one `result` per `task`.
 * Errors cross the boundary as plain data and become {@linkcode AppError}s again on the
 * main thread, so a bad image in a worker still ends as a clear 4xx for the client.
 *
 * @module
 */
import type { ErrorKind } from "../errors.ts";

/** A unit of work sent to a worker. */
export interface TaskMessage {
  readonly type: "task";
  readonly id: number;
  readonly op: string;
  readonly payload: unknown;
}

/** An error as it crosses the worker boundary. */
export interface SerializedError {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** A worker's answer to one task. */
export type ResultMessage =
  | { readonly type: "result"; readonly id: number; readonly ok: true; readonly result: unknown }
  | {
    readonly type: "result";
    readonly id: number;
    readonly ok: false;
    readonly error: SerializedError;
  };

/** Sent once by a worker when its engines are loaded, or when loading failed. */
export type ReadyMessage =
  | { readonly type: "ready"; readonly ok: true; readonly engines: readonly string[] }
  | { readonly type: "ready"; readonly ok: false; readonly error: SerializedError };

/** Anything a worker posts. */
export type WorkerMessage = ResultMessage | ReadyMessage;
