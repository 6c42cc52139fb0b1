/**
 * The entry module of every pool worker: loads the engines once, then runs tasks one at a
 * time by looking up their `op` in a table of handlers.
 *
 * Later engines (ONNX sessions) register their handlers here too. ORT must never start
 * Workers itself (it replaces `globalThis.Worker`), which is why workers never spawn workers.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { AppError } from "../errors.ts";
import { initMagick, inspectImage, thumbnailOf } from "../imaging/magick_ops.ts";
import {
  composeContactSheet,
  type ContactSheetRequest,
  registerFonts,
} from "../imaging/contact_sheet.ts";
import { type FontFiles, readFontFiles } from "../imaging/fonts.ts";
import { imageStatsOf } from "../imaging/pixel_stats_op.ts";
import { loadVision, type VisionInit } from "../vision/engine.ts";
import type { ResultMessage, SerializedError, TaskMessage } from "./protocol.ts";

/** What the pool sends every worker at start. */
export interface WorkerInit {
  readonly vision?: VisionInit;
  /** The contact sheet's TTF files, from `fontPaths()`; without them it cannot be drawn. */
  readonly fonts?: FontFiles;
}

/** What a handler returns: its result and the buffers to move back instead of copying. */
type Outcome = { result: unknown; transfer?: Transferable[] };
type Handler = (payload: never) => Outcome | Promise<Outcome>;

const handlers: Record<string, Handler> = {
  "image.inspect": (p: { bytes: Uint8Array; maxPixels: number; thumbnailSize: number }) => {
    const result = inspectImage(p.bytes, p);
    const transfer = [result.thumbnail.buffer];
    if (result.normalized) transfer.push(result.normalized.buffer);
    return { result, transfer: transfer as Transferable[] };
  },
  "image.thumbnail": (p: { bytes: Uint8Array; size: number }) => {
    const result = thumbnailOf(p.bytes, p.size);
    return { result, transfer: [result.buffer as ArrayBuffer] };
  },
  "image.stats": (p: { bytes: Uint8Array }) => ({ result: imageStatsOf(p.bytes) }),
  "contact_sheet.compose": (p: ContactSheetRequest) => {
    const result = composeContactSheet(p);
    return { result, transfer: [result.buffer as ArrayBuffer] };
  },
  // Lets tests prove that a crash fails only the task that caused it.
  "test.crash": () => {
    setTimeout(() => {
      throw new Error("Crash requested by a test.");
    });
    return new Promise<Outcome>(() => {});
  },
  "test.echo": (p: unknown) => ({ result: p }),
};

function serialize(error: unknown): SerializedError {
  if (error instanceof AppError) {
    return { kind: error.kind, code: error.code, message: error.message, details: error.details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "internal", code: "internal", message };
}

async function init(options: WorkerInit | null): Promise<void> {
  try {
    await initMagick();
    // Not listed in `engines`: /readyz reports everything there but magick as a model.
    if (options?.fonts) registerFonts(await readFontFiles(options.fonts));
    const engines = ["magick"];
    if (options?.vision) {
      const vision = await loadVision(options.vision);
      Object.assign(handlers, vision.handlers);
      engines.push(...vision.engines);
    }
    self.postMessage({ type: "ready", ok: true, engines });
  } catch (error) {
    self.postMessage({ type: "ready", ok: false, error: serialize(error) });
  }
}

self.onmessage = async (
  event: MessageEvent<{ type: "init"; init: WorkerInit | null } | TaskMessage>,
) => {
  const message = event.data;
  if (message.type === "init") {
    void init(message.init);
    return;
  }
  const handler = handlers[message.op];
  let reply: ResultMessage;
  let transfer: Transferable[] = [];
  if (!handler) {
    reply = {
      type: "result",
      id: message.id,
      ok: false,
      error: serialize(new Error(`Unknown worker operation ${message.op}.`)),
    };
  } else {
    try {
      const outcome = await handler(message.payload as never);
      reply = { type: "result", id: message.id, ok: true, result: outcome.result };
      transfer = outcome.transfer ?? [];
    } catch (error) {
      reply = { type: "result", id: message.id, ok: false, error: serialize(error) };
    }
  }
  self.postMessage(reply, transfer);
};
