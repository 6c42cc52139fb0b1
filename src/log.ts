/**
 * A tiny leveled logger writing one JSON object per line to stderr.
 *
 * Secrets registered with {@linkcode redactSecret} are replaced in every line, so an API
 * key that slips into an error message never reaches a log file.
 *
 * @module
 */

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const secrets = new Set<string>();
let threshold = SEVERITY.info;
let sink: (line: string) => void = (line) => console.error(line);

/** Sets the lowest level that is written. */
export function setLogLevel(level: LogLevel): void {
  threshold = SEVERITY[level];
}

/** Replaces where log lines go (tests capture them). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

/** Registers a value that must never appear in a log line. */
export function redactSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Replaces every registered secret in `text` with `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, "[redacted]");
  return out;
}

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (SEVERITY[level] < threshold) return;
  const entry = { ts: new Date().toISOString(), level, msg: message, ...fields };
  sink(redact(JSON.stringify(entry, errorReplacer)));
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** The logger used across the service. */
export const log = Object.freeze({
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
});
