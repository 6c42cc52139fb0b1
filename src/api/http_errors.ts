/**
 * Maps every error to the API's error body in one place: typed errors keep their
 * status, Hono's own errors (malformed JSON, body too large) get a code and a sentence, and
 * anything unexpected becomes a 500 that hides internals from the client.
 *
 * @module
 */
import { describeIssues, type Issue, issuePath } from "../zod_issues.ts";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../errors.ts";
import { log } from "../log.ts";

/**
 * The challenge every 401 carries: RFC 6750 asks for it, and clients use it to learn that a
 * bearer token (AUTH_TOKEN) is the way in. A token that was sent but is wrong adds
 * `error="invalid_token"` so a client can tell "send one" from "yours is wrong".
 */
export function bearerChallenge(code: string): string {
  const realm = 'Bearer realm="Manifest Studio"';
  return code === "token_invalid" ? `${realm}, error="invalid_token"` : realm;
}

/** Writes the error body for `error`. */
export function errorResponse(c: Context, error: AppError): Response {
  const body: { code: string; message: string; details?: unknown } = {
    code: error.code,
    message: error.message,
  };
  if (error.details !== undefined) body.details = error.details;
  return c.json(
    { error: body },
    error.status as ContentfulStatusCode,
    error.status === 401 ? { "WWW-Authenticate": bearerChallenge(error.code) } : undefined,
  );
}

const HONO_ERRORS: Record<number, { code: string; message: string }> = {
  400: {
    code: "malformed_request",
    message: "The request body could not be read: send valid JSON.",
  },
  401: {
    code: "unauthorized",
    message: "Send the access token as `Authorization: Bearer <token>`.",
  },
  413: { code: "payload_too_large", message: "The request body is too large." },
  // Raised by `@hono/zod-openapi` before a JSON body is read, when another type is declared.
  415: {
    code: "unsupported_media_type",
    message: "Send the request body as JSON, with `Content-Type: application/json`.",
  },
};

/** The app's `onError`: the single place errors become responses. */
export const handleError: ErrorHandler = (error, c) => {
  if (error instanceof AppError) return errorResponse(c, error);
  if (error instanceof HTTPException) {
    const known = HONO_ERRORS[error.status];
    const message = error.status === 400 && /JSON/i.test(error.message)
      ? "The request body is not valid JSON: check quotes, commas and brackets."
      : known?.message ?? error.message;
    const kind = error.status === 400 ? "bad_request" : "internal";
    const status = error.status;
    if (status >= 500) log.error("HTTP exception.", { error, path: c.req.path });
    const body = { code: known?.code ?? kind, message };
    return c.json(
      { error: body },
      status as ContentfulStatusCode,
      status === 401 ? { "WWW-Authenticate": bearerChallenge(body.code) } : undefined,
    );
  }
  log.error("Unhandled error.", { error, path: c.req.path, method: c.req.method });
  return c.json({
    error: {
      code: "internal",
      message: "Something went wrong on the server; the error was logged. Try again, and report " +
        "it if it persists.",
    },
  }, 500);
};

/** The app's `notFound` for unknown routes. */
export const handleNotFound: NotFoundHandler = (c) =>
  errorResponse(
    c,
    new AppError(
      "not_found",
      `There is no route ${c.req.method} ${c.req.path}: see /openapi.json.`,
      {
        code: "route_not_found",
      },
    ),
  );

/** Turns a zod failure into the 422 body, naming each field and what is wrong with it. */
export function validationError(
  error: { readonly issues: readonly Issue[] },
  where: string,
): AppError {
  const issues = error.issues.map((issue) => ({
    path: issuePath(issue.path),
    message: issue.message,
  }));
  const summary = describeIssues(error.issues).join("; ");
  return new AppError("validation_failed", `The ${where} is not valid: ${summary}`, {
    code: "validation_failed",
    details: { issues },
  });
}
