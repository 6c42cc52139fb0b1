/**
 * Turning zod's validation issues into sentences: every place that reports invalid input
 * (requests, WebSocket messages, environment variables, catalogs, LLM answers) words its
 * problems the same way.
 *
 * @module
 */

/** The part of a zod issue that is reported. */
export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The dotted path of an issue (`scenes.0.asset_tag`); empty at the top level. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/**
 * Names a path into a JSON catalog by the entry it points into, e.g.
 * `models[2] ("centernet").sha256`, or `(top level)`; `list` is the catalog's list field.
 */
export function catalogPath(json: unknown, list: string): (path: readonly PropertyKey[]) => string {
  return (path) => {
    let text = "";
    let node: unknown = json;
    for (const [depth, key] of path.entries()) {
      text += typeof key === "number" ? `[${key}]` : `${depth === 0 ? "" : "."}${String(key)}`;
      node = node !== null && typeof node === "object"
        ? (node as Record<PropertyKey, unknown>)[key]
        : undefined;
      const name = (node as { name?: unknown } | undefined)?.name;
      if (depth === 1 && path[0] === list && typeof name === "string") text += ` ("${name}")`;
    }
    return text || "(top level)";
  };
}

/**
 * One line per issue, `path: message`, or the message alone at the top level. `pathOf` may
 * name a path better, e.g. with the name of the catalog entry it points into.
 */
export function describeIssues(
  issues: readonly Issue[],
  pathOf: (path: readonly PropertyKey[]) => string = issuePath,
): string[] {
  return issues.map((issue) => {
    const where = pathOf(issue.path);
    return where ? `${where}: ${issue.message}` : issue.message;
  });
}
