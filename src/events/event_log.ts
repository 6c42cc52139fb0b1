/**
 * The durable side of live progress: every frame is a row of `events`, so a client that
 * reconnects with `since` gets exactly what it missed, and retention is bounded.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { Frame } from "./frames.ts";
import type { FrameType, Topic } from "../db/vocabulary.ts";

/** What a caller records; `seq` and `ts` are assigned here. */
export interface NewFrame {
  readonly topic: Topic;
  readonly type: FrameType;
  readonly jobId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Stores a frame and returns it with its `seq`. */
export async function appendFrame(db: Db, frame: NewFrame): Promise<Frame> {
  const ts = new Date().toISOString();
  const row = await db.insertInto("events")
    .values({
      job_id: frame.jobId,
      topic: frame.topic,
      type: frame.type,
      payload: JSON.stringify(frame.payload),
      created_at: ts,
    })
    .returning("seq")
    .executeTakeFirstOrThrow();
  return toFrame({ seq: row.seq, ts, ...frame });
}

/** Frames of `topics` with `seq > since`, oldest first (at most `limit`). */
export async function framesSince(
  db: Db,
  topics: readonly Topic[],
  since: number,
  limit = 10_000,
): Promise<Frame[]> {
  if (topics.length === 0) return [];
  const rows = await db.selectFrom("events")
    .selectAll()
    .where("topic", "in", [...topics])
    .where("seq", ">", since)
    .orderBy("seq")
    .limit(limit)
    .execute();
  return rows.map((row) =>
    toFrame({
      seq: row.seq,
      ts: row.created_at,
      topic: row.topic,
      type: row.type,
      jobId: row.job_id,
      payload: JSON.parse(row.payload),
    })
  );
}

/** The highest `seq` recorded so far (0 when none). */
export async function lastSeq(db: Db): Promise<number> {
  const row = await db.selectFrom("events")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** The highest `seq` recorded for `topic` (0 when none). */
export async function lastSeqOf(db: Db, topic: Topic): Promise<number> {
  const row = await db.selectFrom("events")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("topic", "=", topic)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/**
 * Bounded retention: keeps the newest `keepPerTopic` frames of each of `topics` and drops
 * the older ones. Returns how many frames were removed. Each topic costs two short indexed
 * statements (find the oldest frame to keep, delete below it), so pruning never holds the
 * database — or, with SQLite, the request thread — for long.
 */
export async function pruneFrames(
  db: Db,
  keepPerTopic: number,
  topics: Iterable<Topic>,
): Promise<number> {
  let removed = 0;
  for (const topic of topics) {
    const oldestKept = await db.selectFrom("events").select("seq").where("topic", "=", topic)
      .orderBy("seq", "desc").limit(1).offset(Math.max(0, keepPerTopic - 1)).executeTakeFirst();
    if (!oldestKept) continue;
    const result = await db.deleteFrom("events").where("topic", "=", topic)
      .where("seq", "<", oldestKept.seq).executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}

function toFrame(
  parts: NewFrame & { readonly seq: number; readonly ts: string },
): Frame {
  return {
    ...parts.payload,
    seq: parts.seq,
    topic: parts.topic,
    ts: parts.ts,
    type: parts.type,
    job_id: parts.jobId,
  };
}
