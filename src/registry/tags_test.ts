import assert from "node:assert/strict";
import { formatTag, nextTagNumber, parseTag, TAG_PREFIX, tagPrefix } from "./tags.ts";
import { ASSET_TYPES } from "../db/vocabulary.ts";

Deno.test("formatTag pads numbers below 10 to two digits", () => {
  assert.equal(formatTag("CHAR", 1), "CHAR_01");
  assert.equal(formatTag("OBJ", 9), "OBJ_09");
  assert.equal(formatTag("ENV", 42), "ENV_42");
});

Deno.test("formatTag lets numbers past 99 grow instead of wrapping or truncating", () => {
  assert.equal(formatTag("CHAR", 100), "CHAR_100");
  assert.equal(formatTag("CHAR", 1234), "CHAR_1234");
});

Deno.test("formatTag rejects zero, negative and non-integer numbers", () => {
  for (const bad of [0, -1, -10, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => formatTag("CHAR", bad), RangeError, `number ${bad}`);
  }
});

Deno.test("parseTag splits a tag and round-trips formatTag", () => {
  assert.deepEqual(parseTag("CHAR_01"), { prefix: "CHAR", number: 1 });
  assert.deepEqual(parseTag("OBJ_100"), { prefix: "OBJ", number: 100 });
  for (const n of [1, 7, 10, 99, 100, 101, 5000]) {
    assert.deepEqual(parseTag(formatTag("VEH", n)), { prefix: "VEH", number: n });
  }
});

Deno.test("parseTag returns null for strings that are not tags", () => {
  for (
    const text of [
      "",
      "CHAR",
      "CHAR_",
      "CHAR_1",
      "char_01",
      "CHAR-01",
      "CHAR_01x",
      " CHAR_01",
      "_01",
    ]
  ) {
    assert.equal(parseTag(text), null, JSON.stringify(text));
  }
});

Deno.test("nextTagNumber starts at 1 for a prefix never used", () => {
  assert.equal(nextTagNumber(undefined, [], "CHAR"), 1);
  assert.equal(nextTagNumber(0, [], "CHAR"), 1);
});

Deno.test("nextTagNumber is one past the recorded counter even when tags were deleted", () => {
  // CHAR_01..CHAR_05 were handed out, then CHAR_05 and CHAR_04 deleted: numbers are never reused.
  assert.equal(nextTagNumber(5, ["CHAR_01", "CHAR_02", "CHAR_03"], "CHAR"), 6);
});

Deno.test("nextTagNumber is one past the highest tag in use when the counter is behind", () => {
  assert.equal(nextTagNumber(2, ["CHAR_01", "CHAR_07", "CHAR_03"], "CHAR"), 8);
  assert.equal(nextTagNumber(undefined, ["CHAR_100", "CHAR_99"], "CHAR"), 101);
});

Deno.test("nextTagNumber ignores other prefixes and strings that are not tags", () => {
  const inUse = ["OBJ_50", "CHARACTER_40", "XCHAR_30", "CHAR_2", "hello", "", "CHAR_03"];
  assert.equal(nextTagNumber(undefined, inUse, "CHAR"), 4);
  assert.equal(nextTagNumber(undefined, inUse, "OBJ"), 51);
  assert.equal(nextTagNumber(undefined, inUse, "ENV"), 1);
});

Deno.test("nextTagNumber accepts any iterable of tags", () => {
  assert.equal(nextTagNumber(1, new Set(["PROP_04"]), "PROP"), 5);
  function* tags() {
    yield "STYLE_02";
    yield "STYLE_09";
  }
  assert.equal(nextTagNumber(3, tags(), "STYLE"), 10);
});

Deno.test("every asset type has a distinct prefix that forms parseable tags", () => {
  const prefixes = ASSET_TYPES.map((type) => tagPrefix(type));
  assert.equal(new Set(prefixes).size, ASSET_TYPES.length);
  assert.deepEqual(Object.keys(TAG_PREFIX).sort(), [...ASSET_TYPES].sort());
  for (const type of ASSET_TYPES) {
    const prefix = tagPrefix(type);
    assert.match(prefix, /^[A-Z]+$/, type);
    assert.deepEqual(parseTag(formatTag(prefix, 1)), { prefix, number: 1 });
  }
  assert.equal(tagPrefix("CHARACTER"), "CHAR");
  assert.equal(tagPrefix("OBJECT"), "OBJ");
});
