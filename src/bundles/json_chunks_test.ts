import assert from "node:assert/strict";
import { jsonChunks } from "./json_chunks.ts";

const SAMPLES: Record<string, unknown> = {
  "a document": {
    format: "x",
    version: 1,
    manifest: { name: "Ünïcode ✓ \n line", tags: ["a", "b"], counters: {}, pages: [] },
    assets: [
      { ref: "CHAR_01", box: [1, 2.5, 3, 4], nested: { deep: [{ a: null }] } },
      { ref: "untagged-1", text: 'emoji 😀 and "quotes"', empty: [], obj: {} },
    ],
    identities: [],
    skipped: undefined,
    last: [[1, [2]], "s", null],
  },
  "an empty object": {},
  "only left-out keys": { gone: undefined },
  "an array at the top": [1, { a: [2] }],
  "a string": "text",
  "null": null,
  "undefined in an array": { list: [undefined, () => 1, 3] },
};

for (const [name, value] of Object.entries(SAMPLES)) {
  Deno.test(`jsonChunks writes ${name} as JSON.stringify(value, null, 2) does`, () => {
    const expected = JSON.stringify(value, null, 2);
    assert.equal([...jsonChunks(value)].join(""), expected);
  });
}

Deno.test("jsonChunks writes each element of a top-level array on its own", () => {
  const chunks = [...jsonChunks({ assets: [{ a: 1 }, { a: 2 }, { a: 3 }] })];
  assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
  assert.ok(chunks.every((chunk) => chunk.length < 40));
});
