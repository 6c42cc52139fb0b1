/**
 * `@hono/zod-validator` with the project's error body instead of the library's default.
 *
 * @module
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { validationError } from "./http_errors.ts";

const WHERE: Partial<Record<keyof ValidationTargets, string>> = {
  json: "request body",
  query: "query string",
  param: "path",
  form: "form",
};

/** Validates one part of the request with `schema`; failures throw a 422 `AppError`. */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(
  target: T,
  schema: S,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error, WHERE[target] ?? target);
  });
}
