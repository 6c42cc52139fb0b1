/**
 * Refuses state-changing requests and WebSocket upgrades that a web page of another site
 * sends: the defence against cross-site request forgery while no `AUTH_TOKEN` is set.
 *
 * Any page a person opens may POST a form or a `fetch` to http://127.0.0.1:8000, and may open
 * a WebSocket to it; browsers send such requests without asking the service first and only
 * hide the answer. They always say where they come from in `Origin`, so a request whose
 * `Origin` is another site's is refused before it changes anything. Requests without
 * `Origin` (curl, scripts, same-origin GETs) are not from a cross-site page and pass.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { originOf } from "../../../config.ts";
import { forbidden } from "../../../errors.ts";

/** Methods that may change data; reads stay open since a foreign page cannot see the answer. */
export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set([
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
]);

/**
 * The service's own origin as the request addresses it: the scheme it arrived on with the
 * `Host` it was sent to (a browser's same-origin page sends exactly this in `Origin`).
 */
export function ownOrigin(requestUrl: string, host: string | undefined): string | null {
  const url = new URL(requestUrl);
  return originOf(`${url.protocol}//${host ?? url.host}`);
}

/**
 * Refuses (403 `origin_not_allowed`) a POST, PUT, PATCH or DELETE, or a WebSocket upgrade,
 * whose `Origin` is present and is neither the service's own nor in `allowedOrigins`.
 *
 * @param allowedOrigins `ALLOWED_ORIGINS`, each normalized to `scheme://host[:port]`.
 */
export function originCheck(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async function originCheckMiddleware(c, next) {
    const origin = c.req.header("origin");
    if (origin === undefined) return await next();
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    if (!upgrade && !STATE_CHANGING_METHODS.has(c.req.method)) return await next();
    const presented = originOf(origin);
    const own = ownOrigin(c.req.url, c.req.header("host"));
    if (presented !== null && (presented === own || allowed.has(presented))) return await next();
    throw forbidden(
      "origin_not_allowed",
      `A page of ${presented ?? `origin "${origin}"`} may not ` +
        (upgrade ? "open live updates" : "change data") + ` on this service (${own}): it could ` +
        "be any web site you visit. If you trust that site, add its origin to ALLOWED_ORIGINS " +
        "(or set AUTH_TOKEN, and have the page send it).",
      { origin, expected: own, setting: "ALLOWED_ORIGINS" },
    );
  };
}
