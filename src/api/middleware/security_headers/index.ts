/**
 * Security headers on every answer (API, dashboard, errors, 404s), from Hono's
 * `secureHeaders` with a Content-Security-Policy the dashboard runs under.
 *
 * The dashboard loads its scripts, styles and images from this service only and never uses
 * inline script, inline style attributes or `eval`, so the policy allows `'self'` and
 * nothing else: injected markup could neither run code nor load anything from elsewhere.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * The policy, directive by directive. `connect-src 'self'` covers `ws://` and `wss://` to the
 * same host (CSP level 3), which the live updates use.
 */
export const CONTENT_SECURITY_POLICY = Object.freeze({
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
});

const applyHeaders = secureHeaders({
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  // Both ways of forbidding framing: old browsers only know X-Frame-Options.
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  xContentTypeOptions: "nosniff",
  // The service speaks plain HTTP; whether a name is HTTPS-only is for the TLS proxy in
  // front of it to say, and an HSTS answer for `localhost` would outlive this service.
  strictTransportSecurity: false,
});

async function nothing(): Promise<void> {}

/**
 * Adds the security headers to every response except a WebSocket handshake's 101: that
 * response belongs to the runtime (some make its headers immutable, and a rebuilt response
 * would lose the upgrade), and it carries no document to protect. A refused upgrade (401,
 * 403, 400) gets the headers like any other answer.
 */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return await applyHeaders(c, next);
    await next();
    if (c.res.status !== 101) await applyHeaders(c, nothing);
  };
}
