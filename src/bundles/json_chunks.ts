/**
 * A JSON document written in pieces: the same text as `JSON.stringify(value, null, 2)`, but
 * made one array element at a time, so a document of thousands of assets never exists as one
 * string (nor as one buffer of its bytes).
 *
 * @module
 */

/** The indent `JSON.stringify(value, null, 2)` uses per level. */
const INDENT = "  ";

/**
 * Yields pieces of `JSON.stringify(value, null, 2)`, in order. An object at the top has each
 * of its arrays written element by element; everything else (each element included) is one
 * piece. Keys whose value JSON leaves out (`undefined`, functions) are left out here too.
 */
export function* jsonChunks(value: unknown): Generator<string, void, undefined> {
  if (!isPlainObject(value)) {
    const text = JSON.stringify(value, null, 2);
    if (text !== undefined) yield text;
    return;
  }
  const fields = Object.entries(value).filter(([, field]) => JSON.stringify(field) !== undefined);
  if (fields.length === 0) {
    yield "{}";
    return;
  }
  yield "{";
  for (const [index, [key, field]] of fields.entries()) {
    const separator = index === fields.length - 1 ? "" : ",";
    const name = `\n${INDENT}${JSON.stringify(key)}: `;
    if (Array.isArray(field) && field.length > 0) {
      yield `${name}[`;
      for (const [at, element] of field.entries()) {
        const comma = at === field.length - 1 ? "" : ",";
        yield `\n${INDENT}${INDENT}${nested(element, 2)}${comma}`;
      }
      yield `\n${INDENT}]${separator}`;
    } else {
      yield `${name}${nested(field, 1)}${separator}`;
    }
  }
  yield "\n}";
}

/**
 * `value` as `JSON.stringify(value, null, 2)` writes it `depth` levels down: its own lines
 * indented by as many levels (a JSON string never holds a raw line break, so every `\n` is
 * one of the layout's). An array element JSON cannot write becomes `null`, as in an array.
 */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return text.replaceAll("\n", `\n${INDENT.repeat(depth)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function";
}
