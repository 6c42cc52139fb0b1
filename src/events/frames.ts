/**
 * The frames of the live-progress protocol (docs/websocket.md) as they are stored and sent.
 *
 * @module
 */

import type { FrameType, Topic } from "../db/vocabulary.ts";

/** A frame on the wire: its own fields plus `seq`, `topic`, `ts` and `type`. */
export interface Frame {
  /** Increases across the whole service; a client resumes with `since=<last seq>`. */
  readonly seq: number;
  readonly topic: Topic;
  /** ISO-8601 UTC time the frame was recorded. */
  readonly ts: string;
  readonly type: FrameType;
  readonly job_id: string | null;
  readonly [field: string]: unknown;
}

/** Whether `value` names a topic of the protocol. */
export function isTopic(value: string): value is Topic {
  return /^(manifest|project):[0-9a-f-]{36}$/i.test(value);
}
