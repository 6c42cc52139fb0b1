import assert from "node:assert/strict";
import { dataDirToAllow, DEFAULT_DATA_DIR } from "./data_dir.ts";

Deno.test("dataDirToAllow is DATA_DIR, or ./data when unset or empty", () => {
  assert.deepEqual(dataDirToAllow(undefined), { dir: DEFAULT_DATA_DIR });
  assert.deepEqual(dataDirToAllow(""), { dir: "./data" });
  assert.deepEqual(dataDirToAllow("/srv/studio"), { dir: "/srv/studio" });
  assert.deepEqual(dataDirToAllow("/srv/my studio"), { dir: "/srv/my studio" });
});

Deno.test("dataDirToAllow refuses a comma, which --allow-write cannot express", () => {
  const result = dataDirToAllow("/srv/a,b");
  assert.ok("error" in result);
  assert.match(result.error, /DATA_DIR .*comma/);
});
