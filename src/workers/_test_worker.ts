/**
 * A worker module for the pool's own tests: a few operations that exercise the protocol
 * (echo, crash, a thrown AppError) without loading any engine, so the pool is tested apart
 * from what the service runs in it.
 *
 * @module
 */
import { AppError, type ErrorKind } from "../errors.ts";
import type { Outcome } from "./protocol.ts";
import { serveWorker } from "./worker_host.ts";

/** The operations of the test worker. */
export interface TestOps {
  /** Answers its payload unchanged (structured-cloned, or moved when transferred). */
  "test.echo": { payload: unknown; result: unknown };
  /** Crashes the worker outside any task; never answers. */
  "test.crash": { payload: null; result: never };
  /** Whether the warm-up had finished when this task ran. */
  "test.warmed": { payload: null; result: boolean };
  /** Throws an AppError with these fields, to check it arrives as one. */
  "test.fail": {
    payload: { kind: ErrorKind; code: string; message: string; details?: unknown };
    result: never;
  };
}

/** What a test pool may send at start. */
export interface TestInit {
  /** Makes start fail with this message, as an engine that cannot load would. */
  readonly failStart?: string;
  /** A warm-up that takes this long after `ready`. */
  readonly warmUpMs?: number;
  /** Makes the warm-up fail with this message. */
  readonly failWarmUp?: string;
  /** Makes the warm-up throw this message at once, before it awaits anything. */
  readonly throwWarmUp?: string;
}

serveWorker<TestOps, TestInit>((init) => {
  if (init?.failStart) return Promise.reject(new Error(init.failStart));
  let warmed = false;
  return Promise.resolve({
    engines: ["test"],
    warmUp: init?.throwWarmUp
      ? () => {
        throw new Error(init.throwWarmUp);
      }
      : init?.warmUpMs === undefined
      ? undefined
      : async () => {
        await new Promise((resolve) => setTimeout(resolve, init.warmUpMs));
        if (init.failWarmUp) throw new Error(init.failWarmUp);
        warmed = true;
      },
    handlers: {
      "test.warmed": () => ({ result: warmed }),
      "test.echo": (payload) => ({ result: payload }),
      // Lets tests prove that a crash fails only the task that caused it.
      "test.crash": () => {
        setTimeout(() => {
          throw new Error("Crash requested by a test.");
        });
        return new Promise<Outcome<never>>(() => {});
      },
      "test.fail": ({ kind, code, message, details }) => {
        throw new AppError(kind, message, { code, details });
      },
    },
  });
});
