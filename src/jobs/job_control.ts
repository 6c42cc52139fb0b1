/**
 * What a running job can ask of the runner: whether to stop. The runner implements it; job
 * definitions only see this interface.
 *
 * @module
 */

/** Raised at a checkpoint when the job was cancelled or the service is stopping. */
export class JobInterruptedError extends Error {
  override name = "JobInterruptedError";
}

/** What a running job can ask of the runner. */
export interface JobControl {
  /** Aborted when the job is cancelled or the service stops. */
  readonly signal: AbortSignal;
  /**
   * Call between units of work: throws {@linkcode JobInterruptedError} when the job must
   * stop (cancelled, or the service is shutting down — then it resumes at the next start).
   */
  checkpoint(): Promise<void>;
  /**
   * Resolves as `work` does, or throws {@linkcode JobInterruptedError} as soon as the job
   * must stop, leaving `work` to finish unobserved. Only for work that writes nothing (a
   * worker's computation, a read): a cancel then stops the job within moments instead of
   * after the longest unit of work, and no write of it follows the stop.
   */
  interruptible<T>(work: Promise<T>): Promise<T>;
}
