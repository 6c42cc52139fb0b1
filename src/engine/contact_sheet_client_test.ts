/** The contact sheet composed in a real engine worker, through its main-thread client. */
import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { imageSize } from "../../tests/fixtures/image_size.ts";
import { type ContactSheetCell, contactSheetSize } from "../imaging/contact_sheet.ts";
import { fontPaths } from "../imaging/fonts.ts";
import { composeContactSheetIn } from "./contact_sheet_client.ts";
import { startEnginePool } from "./engine_pool.ts";

const DEMO = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => fixturePhoto(`sample${n}.jpg`)));
const TYPES = ["CHARACTER", "ENVIRONMENT", "CHARACTER", "PROP", "CHARACTER", "VEHICLE"];
const demoCells = (): ContactSheetCell[] =>
  DEMO.map((bytes, i) => ({
    bytes,
    name: `Photo ${i + 1}`,
    assetType: TYPES[i],
    tag: i === 3 ? null : `TAG_0${i + 1}`,
  }));

Deno.test("through a worker pool: the sheet comes back and the caller's bytes stay usable", async () => {
  const pool = startEnginePool({
    size: 1,
    name: "contact-sheet-test",
    init: { fonts: await fontPaths() },
  });
  try {
    await pool.ready();
    const cells = demoCells();
    const jpeg = await composeContactSheetIn(pool, { subtitle: "Pool test", cells });
    assert.deepEqual(imageSize(jpeg), { format: "jpeg", ...contactSheetSize(cells.length) });
    assert.deepEqual(cells.map((cell) => cell.bytes!.length), DEMO.map((bytes) => bytes.length));
    const withNull = await composeContactSheetIn(pool, {
      cells: [{ bytes: null, name: "None", assetType: "OTHER", tag: null }],
    });
    assert.deepEqual(imageSize(withNull), { format: "jpeg", ...contactSheetSize(1) });
  } finally {
    pool.close();
  }
});

Deno.test("a pool started without fonts refuses the sheet with what to do", async () => {
  const pool = startEnginePool({ size: 1, name: "contact-sheet-no-font" });
  try {
    await pool.ready();
    await assert.rejects(
      composeContactSheetIn(pool, { cells: [] }),
      /font DejaVuSans, DejaVuSans-Bold is not registered .*fontPaths\(\).*deno task models/,
    );
  } finally {
    pool.close();
  }
});
