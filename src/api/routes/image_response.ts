/**
 * Image responses with a strong ETag, so browsers revalidate instead of re-downloading.
 *
 * @module
 */
import type { Context } from "hono";

/** Serves `bytes` as `mime`, or 304 when the client already has this `etag`. */
export function imageResponse(c: Context, bytes: Uint8Array, mime: string, etag: string): Response {
  const quoted = `"${etag}"`;
  const headers = {
    "content-type": mime,
    etag: quoted,
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
  };
  if (c.req.header("if-none-match") === quoted) return c.body(null, 304, headers);
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers);
}
