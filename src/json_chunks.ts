/**
 * A JSON document written in pieces: the same text as `JSON.stringify(value)` (or
 * `JSON.stringify(value, null, 2)`), but made one array element at a time, so a document of
 * thousands of assets never exists as one string, nor as one buffer of its bytes. A top-level
 * field may even be an async iterable, read only as the text is written: a list read from the
 * database in slices is then never in memory whole either.
 *
 * @module
 */

/** How the text is laid out: `0` as `JSON.stringify(value)`, `2` as with an indent of 2. */
export type JsonIndent = 0 | 2;

/**
 * JSON text in pieces that, joined, is a `T`: the type says what a reader will parse, as
 * `JSON.stringify`'s argument would, so whoever sends the text can be checked against a schema.
 */
export type JsonText<T> = AsyncGenerator<string, void, undefined> & { readonly parsed?: T };

/** A top-level field whose elements arrive one at a time; it is written as a JSON array. */
export type LazyArray = AsyncIterable<unknown>;

/**
 * Yields pieces of `JSON.stringify(value, null, indent)`, in order. An object at the top has
 * each of its arrays and {@linkcode LazyArray}s written element by element; everything else
 * (each element included) is one piece. Keys whose value JSON leaves out (`undefined`,
 * functions) are left out here too.
 */
export async function* jsonChunks(
  value: unknown,
  indent: JsonIndent = 2,
): AsyncGenerator<string, void, undefined> {
  if (!isPlainObject(value)) {
    const text = JSON.stringify(value, null, indent);
    if (text !== undefined) yield text;
    return;
  }
  const fields = Object.entries(value).filter(([, field]) =>
    isLazyArray(field) || JSON.stringify(field) !== undefined
  );
  if (fields.length === 0) {
    yield "{}";
    return;
  }
  const layout = indent === 0 ? COMPACT : PRETTY;
  yield "{";
  for (const [index, [key, field]] of fields.entries()) {
    const separator = index === fields.length - 1 ? "" : ",";
    const name = `${layout.field}${JSON.stringify(key)}:${layout.space}`;
    if (Array.isArray(field) || isLazyArray(field)) {
      let count = 0;
      for await (const element of field) {
        yield `${count === 0 ? `${name}[` : ","}${layout.element}${nested(element, 2, indent)}`;
        count++;
      }
      yield count === 0 ? `${name}[]${separator}` : `${layout.field}]${separator}`;
    } else {
      yield `${name}${nested(field, 1, indent)}${separator}`;
    }
  }
  yield `${layout.end}}`;
}

/** Characters gathered into one chunk by default: fewer, larger writes, none of them large. */
export const TEXT_CHUNK_CHARS = 64 * 1024;

/**
 * Joins `pieces` into chunks of at least `minChars` characters (the last may be shorter):
 * fewer, larger writes than one per piece, still without the whole text in one string.
 */
export async function* joinChunks(
  pieces: AsyncIterable<string>,
  minChars: number = TEXT_CHUNK_CHARS,
): AsyncGenerator<string, void, undefined> {
  let text = "";
  for await (const piece of pieces) {
    text += piece;
    if (text.length >= minChars) {
      yield text;
      text = "";
    }
  }
  if (text) yield text;
}

/** What goes before a field, an array element and the closing brace, and after a colon. */
interface Layout {
  readonly field: string;
  readonly element: string;
  readonly end: string;
  readonly space: string;
}

const PRETTY: Layout = Object.freeze({ field: "\n  ", element: "\n    ", end: "\n", space: " " });
const COMPACT: Layout = Object.freeze({ field: "", element: "", end: "", space: "" });

/**
 * `value` as `JSON.stringify(value, null, indent)` writes it `depth` levels down: its own
 * lines indented by as many levels (a JSON string never holds a raw line break, so every `\n`
 * is one of the layout's). An array element JSON cannot write becomes `null`, as in an array.
 */
function nested(value: unknown, depth: number, indent: JsonIndent): string {
  const text = JSON.stringify(value, null, indent) ?? "null";
  return indent === 0 ? text : text.replaceAll("\n", `\n${" ".repeat(depth * indent)}`);
}

function isLazyArray(value: unknown): value is LazyArray {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function";
}
