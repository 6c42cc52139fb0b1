/**
 * The worker side of the pool protocol, shared by every worker module: waits for `init`,
 * starts the module's engines, says `ready`, then runs tasks one at a time by looking up
 * their `op` in the module's handlers.
 *
 * Workers never spawn workers: ORT replaces `globalThis.Worker` when it loads, so a worker
 * module must not rely on starting its own.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { log } from "../log.ts";
import {
  type Handler,
  type Handlers,
  type OpsMap,
  type OpSpec,
  type PoolMessage,
  type ResultMessage,
  serializeError,
} from "./protocol.ts";

/** What a worker module has once started: the engines it loaded and the handlers it offers. */
export interface StartedWorker<Ops extends OpsMap<Ops>> {
  /** Names reported to the pool (`/readyz` lists them). */
  readonly engines: readonly string[];
  /**
   * Handlers by op. An op left out (an engine that is not configured) fails its tasks as an
   * unknown operation, exactly like a name the map does not have.
   */
  readonly handlers: Partial<Handlers<Ops>>;
  /**
   * Run after `ready` is said; tasks wait until it ends. A failure (thrown or rejected) is
   * logged and otherwise ignored: warming up is never needed for correct results.
   */
  readonly warmUp?: () => void | Promise<void>;
}

/**
 * Makes this worker answer its pool. `start` runs once, on the pool's `init` data (null when
 * the pool was given none); if it throws, the worker reports the error instead of `ready`.
 */
export function serveWorker<Ops extends OpsMap<Ops>, Init>(
  start: (init: Init | null) => Promise<StartedWorker<Ops>>,
): void {
  // The pool sends no task before `ready`, so this is filled before it is read.
  let handlers: Partial<Handlers<Ops>> = {};
  // Tasks start once the warm-up is over: one task at a time, as ever.
  let warm: Promise<void> = Promise.resolve();

  const begin = async (init: Init | null) => {
    let started: StartedWorker<Ops>;
    try {
      started = await start(init);
    } catch (error) {
      self.postMessage({ type: "ready", ok: false, error: serializeError(error) });
      return;
    }
    handlers = started.handlers;
    self.postMessage({ type: "ready", ok: true, engines: started.engines });
    const { warmUp } = started;
    // Set in the same turn as `ready`, so no task can start before it; a warm-up that throws
    // at once is caught like one that rejects later.
    if (warmUp) {
      warm = Promise.resolve().then(warmUp).catch((error) => {
        log.warn("A worker could not warm up; its first task may be slower.", { error });
      });
    }
  };

  self.onmessage = async (event: MessageEvent<PoolMessage>) => {
    const message = event.data;
    if (message.type === "init") {
      void begin(message.init as Init | null);
      return;
    }
    // The op name arrives as a plain string, so this is where the map's typing ends: the
    // pool's `run` only sends an op with the payload the map gives it.
    const handler = Object.hasOwn(handlers, message.op)
      ? handlers[message.op as keyof Ops] as Handler<OpSpec> | undefined
      : undefined;
    let reply: ResultMessage;
    let transfer: Transferable[] = [];
    await warm;
    if (!handler) {
      reply = {
        type: "result",
        id: message.id,
        ok: false,
        error: serializeError(new Error(`Unknown worker operation ${message.op}.`)),
      };
    } else {
      try {
        const outcome = await handler(message.payload);
        reply = { type: "result", id: message.id, ok: true, result: outcome.result };
        transfer = outcome.transfer ?? [];
      } catch (error) {
        reply = { type: "result", id: message.id, ok: false, error: serializeError(error) };
      }
    }
    self.postMessage(reply, transfer);
  };
}
