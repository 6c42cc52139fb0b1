import assert from "node:assert/strict";
import { exportRun } from "./export.ts";

Deno.test("exportRun reports seconds and MiB, the rise as peak minus before", () => {
  const MB = 2 ** 20;
  assert.deepEqual(
    exportRun({
      bytes: 270 * MB,
      ms: 2345.6,
      rssBeforeBytes: 500.4 * MB,
      peakRssBytes: 590.6 * MB,
    }),
    {
      wallSeconds: 2.35,
      bundleBytes: 270 * MB,
      bundleMb: 270,
      rssBeforeMb: 500,
      peakRssMb: 591,
      riseMb: 91,
    },
  );
});
