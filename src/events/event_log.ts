/**
 * The durable side of live progress: every frame is a row of `events`, so a client that
 * reconnects with `since` gets exactly what it missed, and retention is bounded.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { lockKey, notify, rowLockingTransaction } from "../db/dialect.ts";
import type { Frame } from "./frames.ts";
import type { FrameType, Topic } from "../db/vocabulary.ts";

/**
 * The notification channel of frames. A payload is `<origin> <seq> <topic>`: who wrote
 * it, and where to read it (payloads are limited to 8000 bytes; frames are not).
 */
export const EVENTS_CHANNEL = "manifest_studio_events";

/** What a caller records; `seq` and `ts` are assigned here. */
export interface NewFrame {
  readonly topic: Topic;
  readonly type: FrameType;
  readonly jobId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  /**
   * Checked just before the frame is stored (with several instances, inside its
   * transaction, under its topic's lock): when it answers false the frame is dropped.
   * A job's progress passes "the job was not cancelled", so that a frame racing a cancel
   * made on another instance cannot land after the cancel's `done`.
   */
  readonly stillCurrent?: (db: Db) => Promise<boolean>;
}

/**
 * Stores a frame where several instances write frames (PostgreSQL) and announces it to
 * all of them, in one transaction. The transaction holds the topic's lock from before its
 * `seq` is drawn until it commits, so within one topic frames commit in `seq` order: a
 * reader that has every frame of a topic up to `s` and later sees `s'` committed knows
 * nothing between them can still appear. Returns the frame and the topic's `seq` before
 * it (what a reader needs to have delivered to deliver this one directly), or null when
 * `stillCurrent` dropped it.
 */
export async function recordFrame(
  db: Db,
  frame: NewFrame,
  origin: string,
): Promise<{ frame: Frame; previousSeq: number } | null> {
  return await rowLockingTransaction(db).execute(async (trx) => {
    await lockKey(trx, "topic", frame.topic);
    if (frame.stillCurrent && !await frame.stillCurrent(trx)) return null;
    const previousSeq = await lastSeqOf(trx, frame.topic);
    const stored = await appendFrame(trx, frame);
    await notify(trx, EVENTS_CHANNEL, `${origin} ${stored.seq} ${frame.topic}`);
    return { frame: stored, previousSeq };
  });
}

/**
 * Stores a frame and returns it with its `seq`. Alone on the database; where several
 * instances write frames, {@linkcode recordFrame} keeps each topic in commit order.
 */
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
  return toFrame({
    seq: row.seq,
    ts,
    topic: frame.topic,
    type: frame.type,
    jobId: frame.jobId,
    payload: frame.payload,
  });
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
  parts: Omit<NewFrame, "stillCurrent"> & { readonly seq: number; readonly ts: string },
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
