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
 * Frames of one topic, type and job, recorded together: one check of `stillCurrent` for all
 * of them, one transaction, increasing `seq` in `payloads` order with no other frame of the
 * topic between them. A step that
 * creates or changes many assets at once tells of them this way.
 */
export interface NewFrames extends Omit<NewFrame, "payload"> {
  readonly payloads: readonly Readonly<Record<string, unknown>>[];
}

/** Rows per INSERT: five parameters a row stays far below SQLite's parameter limit. */
const INSERT_BATCH = 500;

/**
 * Stores frames where several instances write frames (PostgreSQL) and announces them to
 * all of them, in one transaction. The transaction holds the topic's lock from before the
 * first `seq` is drawn until it commits, so within one topic frames commit in `seq` order: a
 * reader that has every frame of a topic up to `s` and later sees `s'` committed knows
 * nothing between them can still appear. Returns the frames and the topic's `seq` before
 * the first (what a reader needs to have delivered to deliver them directly), or null when
 * `stillCurrent` dropped them.
 */
export async function recordFrames(
  db: Db,
  frames: NewFrames,
  origin: string,
): Promise<{ frames: Frame[]; previousSeq: number } | null> {
  return await rowLockingTransaction(db).execute(async (trx) => {
    await lockKey(trx, "topic", frames.topic);
    if (frames.stillCurrent && !await frames.stillCurrent(trx)) return null;
    const previousSeq = await lastSeqOf(trx, frames.topic);
    const stored = await appendFrames(trx, frames);
    const last = stored.at(-1);
    if (last) await notify(trx, EVENTS_CHANNEL, `${origin} ${last.seq} ${frames.topic}`);
    return { frames: stored, previousSeq };
  });
}

/** {@linkcode recordFrames} for one frame. */
export async function recordFrame(
  db: Db,
  frame: NewFrame,
  origin: string,
): Promise<{ frame: Frame; previousSeq: number } | null> {
  const recorded = await recordFrames(db, framesOf(frame), origin);
  return recorded && { frame: recorded.frames[0], previousSeq: recorded.previousSeq };
}

/**
 * Stores frames and returns them with their `seq`, in `payloads` order: all of them or none
 * (more than one INSERT's worth are written in a transaction, `db`'s own if it is one). Alone
 * on the database; where several instances write frames, {@linkcode recordFrames} keeps each
 * topic in commit order.
 */
export async function appendFrames(db: Db, frames: NewFrames): Promise<Frame[]> {
  if (frames.payloads.length > INSERT_BATCH && !db.isTransaction) {
    return await db.transaction().execute((trx) => appendFrames(trx, frames));
  }
  const ts = new Date().toISOString();
  const stored: Frame[] = [];
  for (let start = 0; start < frames.payloads.length; start += INSERT_BATCH) {
    const payloads = frames.payloads.slice(start, start + INSERT_BATCH);
    const rows = await db.insertInto("events")
      .values(payloads.map((payload) => ({
        job_id: frames.jobId,
        topic: frames.topic,
        type: frames.type,
        payload: JSON.stringify(payload),
        created_at: ts,
      })))
      .returning("seq")
      .execute();
    // Rows of one INSERT draw their seq in the order of its values; RETURNING's own order is
    // not promised by either database.
    const seqs = rows.map((row) => row.seq).sort((a, b) => a - b);
    payloads.forEach((payload, i) =>
      stored.push(toFrame({
        seq: seqs[i],
        ts,
        topic: frames.topic,
        type: frames.type,
        jobId: frames.jobId,
        payload,
      }))
    );
  }
  return stored;
}

/** {@linkcode appendFrames} for one frame. */
export async function appendFrame(db: Db, frame: NewFrame): Promise<Frame> {
  return (await appendFrames(db, framesOf(frame)))[0];
}

/** One frame as a batch of one. */
export function framesOf({ payload, ...rest }: NewFrame): NewFrames {
  return { ...rest, payloads: [payload] };
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
