/**
 * One dedicated connection per instance that `LISTEN`s for the notifications other
 * instances send (new frames, cancels, queued jobs). When the connection dies it is opened
 * again with backoff, every channel is listened to again, and whoever asked is told, since
 * notifications sent meanwhile are lost and must be made up for by re-reading the tables.
 *
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
import { log } from "../../log.ts";

/** Cross-instance notifications (see {@linkcode PostgresListener}). */
export interface Notifications {
  /**
   * Calls `handler` with the payload of every notification on `channel`, from any
   * instance, this one included. Resolves once the channel is listened to.
   */
  listen(channel: string, handler: (payload: string) => void): Promise<() => void>;
  /**
   * Calls `handler` after the connection was lost and is listening again: notifications
   * sent in between were missed.
   */
  onReconnect(handler: () => void): () => void;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Longest wait between two attempts to reconnect. */
const MAX_BACKOFF_MS = 5_000;

/** A `LISTEN` connection that reconnects by itself. */
export class PostgresListener implements Notifications {
  readonly #config: pg.ClientConfig;
  readonly #handlers = new Map<string, Set<(payload: string) => void>>();
  readonly #reconnectHandlers = new Set<() => void>();
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #closed = false;

  /** A listener connecting with `config` (lazily, on the first {@linkcode listen}). */
  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  /** Opens the connection now, so a bad URL fails at start rather than on first use. */
  async connect(): Promise<void> {
    await this.#ensureClient();
  }

  async listen(channel: string, handler: (payload: string) => void): Promise<() => void> {
    let set = this.#handlers.get(channel);
    const first = !set;
    if (!set) this.#handlers.set(channel, set = new Set());
    set.add(handler);
    if (first) {
      const client = await this.#ensureClient();
      // A reconnect in between already listened to every channel, this one included.
      if (client === this.#client) await client.query(`LISTEN ${quoteIdent(channel)}`);
    }
    return () => {
      set.delete(handler);
      if (set.size > 0) return;
      this.#handlers.delete(channel);
      this.#client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
    };
  }

  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client ?? await this.#connecting?.catch(() => null);
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #ensureClient(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<pg.Client> {
    if (this.#closed) throw new Error("The notification listener is closed.");
    const client = new pg.Client(this.#config);
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = null;
      if (this.#closed) return;
      log.warn("Lost the database notification connection; reconnecting.", {
        error: error?.message ?? "connection ended",
      });
      client.end().catch(() => {});
      this.#scheduleReconnect();
    };
    // pg emits `error` and then `end` when the server side dies: both mean "lost".
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? []) {
        try {
          handler(message.payload ?? "");
        } catch (error) {
          log.error("A notification handler failed.", { channel: message.channel, error });
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.#handlers.keys()) {
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      }
    } catch (error) {
      lost = true;
      client.removeAllListeners();
      client.on("error", () => {});
      await client.end().catch(() => {});
      throw error;
    }
    this.#client = client;
    this.#attempt = 0;
    return client;
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#retry);
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#attempt++);
    this.#retry = setTimeout(async () => {
      if (this.#closed) return;
      try {
        await this.#ensureClient();
      } catch (error) {
        log.warn("Could not reconnect the database notification connection.", {
          error: (error as Error).message,
          retry_ms: Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#attempt),
        });
        this.#scheduleReconnect();
        return;
      }
      log.info("Database notification connection restored.");
      for (const handler of this.#reconnectHandlers) {
        try {
          handler();
        } catch (error) {
          log.error("A reconnect handler failed.", { error });
        }
      }
    }, delay);
  }
}

/** `name` as a quoted identifier (channel names are the service's own constants). */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
