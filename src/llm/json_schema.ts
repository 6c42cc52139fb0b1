/**
 * JSON Schemas for structured LLM output, generated from the zod schemas that also validate
 * the answers — one source for both.
 *
 * @module
 */
import { z } from "zod";

/**
 * The JSON Schema of `schema` as a model's `responseJsonSchema`: no `$schema`, and a schema
 * registered under an id is inlined rather than sent as a lone `$ref` into `$defs`.
 */
export function responseJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  const defs = json.$defs as Record<string, Record<string, unknown>> | undefined;
  const ref = typeof json.$ref === "string" ? json.$ref.replace("#/$defs/", "") : null;
  if (defs && ref && defs[ref] && Object.keys(defs).length === 1) return { ...defs[ref] };
  return json;
}
