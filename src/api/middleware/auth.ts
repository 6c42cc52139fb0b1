/**
 * Bearer-token authentication for `/api` and `/ws` when `AUTH_TOKEN` is set (docs/api.md, authentication).
 *
 * The token may also come as `?token=` because browsers cannot set headers on `<img>`
 * requests or WebSocket upgrades.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../../errors.ts";

const encoder = new TextEncoder();

/** Compares two secrets in time that does not depend on where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  // Compare against itself when lengths differ so the time does not reveal the length.
  const other = left.length === right.length ? right : left;
  let diff = left.length === right.length ? 0 : 1;
  for (let i = 0; i < left.length; i++) diff |= left[i] ^ other[i];
  return diff === 0;
}

/** The token a request carries, from the header or the query string. */
export function presentedToken(
  authorization: string | undefined,
  query: string | undefined,
): string | null {
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return match?.[1] ?? query ?? null;
}

/** Refuses requests without the right token; lets everything through when none is set. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  return async function bearerAuthMiddleware(c, next) {
    if (token === undefined) return await next();
    const presented = presentedToken(c.req.header("authorization"), c.req.query("token"));
    if (presented === null) {
      throw new AppError(
        "unauthorized",
        "This server requires an access token: send `Authorization: Bearer <AUTH_TOKEN>`.",
        { code: "token_missing" },
      );
    }
    if (!timingSafeEqual(presented, token)) {
      throw new AppError(
        "unauthorized",
        "The access token is wrong: use the server's AUTH_TOKEN.",
        {
          code: "token_invalid",
        },
      );
    }
    await next();
  };
}
