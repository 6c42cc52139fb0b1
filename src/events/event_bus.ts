/**
 * The live side of progress: frames fan out in memory to whoever listens on their topic.
 *
 * @module
 */
import type { Frame } from "./frames.ts";
import type { Topic } from "../db/vocabulary.ts";

/** Receives frames of the topics it subscribed to. */
export type FrameListener = (frame: Frame) => void;

/** In-process publish/subscribe by topic. A failing listener never stops the others. */
export class EventBus {
  readonly #listeners = new Map<Topic, Set<FrameListener>>();

  /** Starts delivering frames of `topic` to `listener`; returns the function that stops it. */
  subscribe(topic: Topic, listener: FrameListener): () => void {
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, set = new Set());
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(topic);
    };
  }

  /** Delivers `frame` to every listener of its topic. */
  publish(frame: Frame): void {
    for (const listener of this.#listeners.get(frame.topic) ?? []) {
      try {
        listener(frame);
      } catch {
        // One broken subscriber (a closed socket) must not starve the rest.
      }
    }
  }

  /** How many listeners a topic has (for tests and metrics). */
  listenerCount(topic: Topic): number {
    return this.#listeners.get(topic)?.size ?? 0;
  }
}
