/**
 * Messages between the worker pool and its workers, and the typed contract on top of them.
 *
 * A worker answers `ready` once after loading its engines, then one `result` per `task`.
 * Errors cross the boundary as plain data and become {@linkcode AppError}s again on the
 * main thread, so a bad image in a worker still ends as a clear 4xx for the client.
 *
 * The messages carry an op name and an untyped payload; what makes a call type-safe is an
 * ops map ({@linkcode OpsMap}) that both sides share: the pool's `run` takes its payload and
 * result types from it, and the worker's {@linkcode Handlers} must implement it. This module
 * knows no operation itself: each worker module brings its own map.
 *
 * @module
 */
import { AppError, type ErrorKind } from "../errors.ts";

/** The contract of one operation: what the caller sends and what the worker answers. */
export interface OpSpec {
  readonly payload: unknown;
  readonly result: unknown;
}

/**
 * The constraint on an ops map, e.g.
 * `interface MyOps { "image.stats": { payload: { bytes: Uint8Array }; result: PixelStats } }`.
 * It refers to the map itself because an `interface` has no index signature, so it would not
 * satisfy a plain `Record<string, OpSpec>`.
 */
export type OpsMap<Ops> = { readonly [Op in keyof Ops]: OpSpec };

/** The operation names of an ops map. */
export type OpName<Ops> = keyof Ops & string;

/** What a handler returns: its result and the buffers to move back instead of copying. */
export interface Outcome<Result> {
  readonly result: Result;
  readonly transfer?: Transferable[];
}

/** The handler of one operation. */
export type Handler<Spec extends OpSpec> = (
  payload: Spec["payload"],
) => Outcome<Spec["result"]> | Promise<Outcome<Spec["result"]>>;

/** The worker side of an ops map: one handler per operation, each typed by the map. */
export type Handlers<Ops extends OpsMap<Ops>> = { readonly [Op in keyof Ops]: Handler<Ops[Op]> };

/** An engine loaded inside a worker: the names it reports and a handler for each of its ops. */
export interface LoadedEngine<Ops extends OpsMap<Ops>> {
  /** Names reported to the pool (`/readyz` lists them). */
  readonly engines: readonly string[];
  readonly handlers: Handlers<Ops>;
  /**
   * Runs the engine's work once on made-up input after `ready`, before the worker's first
   * task, so that the first real task does not pay for compiling and first allocations.
   */
  readonly warmUp?: () => void | Promise<void>;
}

/** Sent once to every worker when it starts, with the pool's `init` data. */
export interface InitMessage {
  readonly type: "init";
  readonly init: unknown;
}

/** A unit of work sent to a worker. */
export interface TaskMessage {
  readonly type: "task";
  readonly id: number;
  readonly op: string;
  readonly payload: unknown;
}

/** Anything the pool posts to a worker. */
export type PoolMessage = InitMessage | TaskMessage;

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

/** Turns an error thrown in a worker into data that survives `postMessage`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof AppError) {
    return { kind: error.kind, code: error.code, message: error.message, details: error.details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "internal", code: "internal", message };
}

/** Turns an error from a worker back into the error the main thread raises. */
export function deserializeError(error: SerializedError): Error {
  if (error.kind === "internal") return new Error(error.message);
  return new AppError(error.kind, error.message, { code: error.code, details: error.details });
}
