import assert from "node:assert/strict";
import { openTestDatabase } from "../../tests/_postgres.ts";
import { EventHub } from "../events/event_hub.ts";
import type { Frame } from "../events/frames.ts";
import type { Topic } from "../db/vocabulary.ts";
import { ASSET_FRAMES_PER_BATCH, ProgressReporter } from "./progress.ts";

const TOPIC: Topic = "manifest:00000000-0000-4000-8000-0000000000c3";

/** A reporter on a fresh SQLite database, with every frame its topic gets. */
async function withReporter(
  use: (reporter: ProgressReporter<"step", { n: number }>, frames: Frame[]) => Promise<void>,
  signal?: AbortSignal,
) {
  const opened = await openTestDatabase("sqlite");
  const hub = new EventHub(opened.db);
  const frames: Frame[] = [];
  const following = await hub.follow([TOPIC], null, (frame) => frames.push(frame));
  const reporter = new ProgressReporter({
    db: opened.db,
    hub,
    jobId: "job-1",
    topic: TOPIC,
    provider: null,
    steps: ["step"],
    emptyCounters: () => ({ n: 0 }),
    signal,
  });
  try {
    await use(reporter, frames);
  } finally {
    reporter.dispose();
    following.close();
    await opened.close();
  }
}

Deno.test("assets() sends one frame per asset, in order, stored in batches", async () => {
  await withReporter(async (reporter, frames) => {
    const count = 2 * ASSET_FRAMES_PER_BATCH + 50;
    const assets = Array.from({ length: count }, (_, i) => ({ id: `asset-${i}` }));
    await reporter.assets(assets, "updated");
    assert.equal(frames.length, count);
    assert.ok(frames.every((frame) => frame.type === "asset" && frame.change === "updated"));
    assert.deepEqual(
      frames.map((frame) => (frame.asset as { id: string }).id),
      assets.map((asset) => asset.id),
    );
    assert.ok(frames.every((frame, i) => i === 0 || frame.seq > frames[i - 1].seq));
    assert.equal(frames.at(-1)!.job_id, "job-1");
    await reporter.assets([], "created"); // Nothing to say: no frame.
    assert.equal(frames.length, count);
  });
});

Deno.test("assets() after the job's signal aborted sends and stores nothing", async () => {
  const controller = new AbortController();
  controller.abort();
  await withReporter(async (reporter, frames) => {
    await reporter.assets([{ id: "a" }, { id: "b" }], "created");
    assert.deepEqual(frames, []);
  }, controller.signal);
});
