/**
 * The service's error vocabulary: one error class with a small set of kinds, mapped once to
 * HTTP statuses by the API layer. Messages are sentences a person can act on.
 *
 * @module
 */

/** HTTP status of each error kind. */
export const ERROR_STATUS = Object.freeze(
  {
    bad_request: 400,
    unauthorized: 401,
    forbidden: 403,
    not_found: 404,
    conflict: 409,
    payload_too_large: 413,
    unsupported_media_type: 415,
    validation_failed: 422,
    not_configured: 503,
    internal: 500,
  } as const,
);

/** The kinds of error the service raises on purpose. */
export type ErrorKind = keyof typeof ERROR_STATUS;

/**
 * An error meant for the client: its `kind` picks the status, `code` is a stable
 * snake_case identifier, `message` is for a person and `details` for a program.
 */
export class AppError extends Error {
  override name = "AppError";
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details: unknown;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { code?: string; details?: unknown } = {},
  ) {
    super(message);
    this.kind = kind;
    this.code = options.code ?? kind;
    this.details = options.details;
  }

  /** The HTTP status this error maps to. */
  get status(): (typeof ERROR_STATUS)[ErrorKind] {
    return ERROR_STATUS[this.kind];
  }
}

/** A 404 for an id that does not exist, e.g. `notFound("Manifest", id)`. */
export function notFound(what: string, id: string): AppError {
  return new AppError("not_found", `${what} ${id} does not exist.`, {
    code: `${what.toLowerCase()}_not_found`,
    details: { id },
  });
}

/** A 403 for a request this server refuses to serve whoever sends it, e.g. from another site. */
export function forbidden(code: string, message: string, details?: unknown): AppError {
  return new AppError("forbidden", message, { code, details });
}

/** A 409 for a request that conflicts with the current state. */
export function conflict(code: string, message: string, details?: unknown): AppError {
  return new AppError("conflict", message, { code, details });
}

/** A 422 for input that is well-formed but not acceptable. */
export function invalid(code: string, message: string, details?: unknown): AppError {
  return new AppError("validation_failed", message, { code, details });
}
