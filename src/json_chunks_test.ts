import assert from "node:assert/strict";
import { joinChunks, jsonChunks, type JsonIndent } from "./json_chunks.ts";

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

async function textOf(value: unknown, indent?: JsonIndent): Promise<string> {
  return (await Array.fromAsync(jsonChunks(value, indent))).join("");
}

/** `list`'s elements, one at a time, as a database read in slices would give them. */
async function* lazily<T>(list: readonly T[]): AsyncGenerator<T, void, undefined> {
  for (const element of list) {
    await Promise.resolve();
    yield element;
  }
}

for (const indent of [0, 2] as const) {
  for (const [name, value] of Object.entries(SAMPLES)) {
    Deno.test(`jsonChunks writes ${name} as JSON.stringify(value, null, ${indent}) does`, async () => {
      assert.equal(await textOf(value, indent), JSON.stringify(value, null, indent));
    });
  }

  Deno.test(`jsonChunks writes async iterables as the arrays they yield (indent ${indent})`, async () => {
    const document = SAMPLES["a document"] as Record<string, unknown[]>;
    const lazy = {
      ...document,
      assets: lazily(document.assets),
      identities: lazily(document.identities),
    };
    assert.equal(await textOf(lazy, indent), JSON.stringify(document, null, indent));
  });
}

Deno.test("jsonChunks writes each element of a top-level array on its own", async () => {
  const chunks = await Array.fromAsync(jsonChunks({ assets: [{ a: 1 }, { a: 2 }, { a: 3 }] }));
  assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
  assert.ok(chunks.every((chunk) => chunk.length < 40));
});

Deno.test("jsonChunks reads a lazy field only as far as the text is written", async () => {
  let read = 0;
  async function* counted() {
    for (let i = 0; i < 1000; i++) {
      read++;
      yield { i };
    }
  }
  const pieces = jsonChunks({ items: counted() }, 0);
  for (let i = 0; i < 10; i++) await pieces.next();
  assert.ok(read <= 10, `${read} elements read for 10 pieces`);
  await pieces.return();
});

Deno.test("joinChunks joins pieces into chunks of at least the size asked, in order", async () => {
  const pieces = lazily(Array.from({ length: 100 }, (_, i) => `${i},`));
  const chunks = await Array.fromAsync(joinChunks(pieces, 50));
  assert.equal(chunks.join(""), Array.from({ length: 100 }, (_, i) => `${i},`).join(""));
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length >= 50));
  assert.ok(chunks.length > 3 && chunks.length < 10, `${chunks.length} chunks`);
});
