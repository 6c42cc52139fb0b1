/**
 * Answers only requests addressed to this machine by a loopback name, or to a name the
 * operator listed in `ALLOWED_HOSTS`: the defence against DNS rebinding.
 *
 * A web page on `evil.example` can point that name at 127.0.0.1 once it is loaded; the
 * browser then treats the service as part of the attacker's site and lets the page read it.
 * The `Host` header still says `evil.example`, since that is the name the browser looked up,
 * so refusing unknown names closes the hole. The app mounts this only while no `AUTH_TOKEN`
 * is set: with a token, a rebound page still lacks the token.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { forbidden } from "../../../errors.ts";

/** Host names that always mean this machine, whatever DNS says. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** A `Host` header (or an `ALLOWED_HOSTS` entry) split into name and port. */
export interface HostParts {
  /** Lower case; IPv6 addresses keep their brackets. */
  readonly hostname: string;
  /** The explicit port, or null when there is none. */
  readonly port: string | null;
}

/** Splits `name`, `name:port`, `[v6]` or `[v6]:port`; null for anything else. */
export function splitHost(host: string): HostParts | null {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:/?#@[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  return match ? { hostname: match[1], port: match[2] ?? null } : null;
}

/**
 * Whether `host` is allowed by one `ALLOWED_HOSTS` entry: `*` allows every name, `.domain`
 * the domain and its subdomains, `name` that name on any port, `name:port` only that port.
 */
export function hostMatches(entry: string, host: HostParts, defaultPort: string): boolean {
  if (entry === "*") return true;
  const allowed = splitHost(entry);
  if (allowed === null) return false;
  if (allowed.port !== null && allowed.port !== (host.port ?? defaultPort)) return false;
  if (allowed.hostname.startsWith(".")) {
    return host.hostname === allowed.hostname.slice(1) || host.hostname.endsWith(allowed.hostname);
  }
  return host.hostname === allowed.hostname;
}

/**
 * Refuses (403 `host_not_allowed`) requests whose `Host` is neither a loopback name
 * ({@linkcode LOOPBACK_HOSTS}, on any port) nor allowed by `allowedHosts`.
 *
 * @param allowedHosts `ALLOWED_HOSTS` entries, lower case (see {@linkcode hostMatches}).
 */
export function hostCheck(allowedHosts: readonly string[]): MiddlewareHandler {
  return async function hostCheckMiddleware(c, next) {
    const header = c.req.header("host");
    // Every browser sends Host, so a request without one is not a rebinding page (and
    // `app.request()` in tests sends none).
    if (header === undefined) return await next();
    const host = splitHost(header);
    const defaultPort = new URL(c.req.url).protocol === "https:" ? "443" : "80";
    if (
      host !== null &&
      (LOOPBACK_HOSTS.has(host.hostname) ||
        allowedHosts.some((entry) => hostMatches(entry, host, defaultPort)))
    ) {
      return await next();
    }
    const name = host?.hostname ?? header;
    throw forbidden(
      "host_not_allowed",
      `This service answers only to localhost, 127.0.0.1 and [::1], not to "${name}": a web ` +
        "page using DNS rebinding would arrive under such a name. Open it as " +
        "http://localhost:<port>/, or, if this is how you reach it, add " +
        `${name} to ALLOWED_HOSTS (or set AUTH_TOKEN, which turns this check off).`,
      { host: header, setting: "ALLOWED_HOSTS" },
    );
  };
}
