/**
 * The entry module of every engine worker: loads the imaging engine and, when models are
 * configured, the vision engine, then serves {@linkcode EngineOps}.
 *
 * ORT must never start Workers itself (it replaces `globalThis.Worker`), which is why the
 * vision engine runs here, in a pool worker, and workers never spawn workers.
 *
 * @module
 */
import { loadImaging } from "../imaging/engine.ts";
import { loadClustering } from "../vision/clustering_engine.ts";
import { loadVision } from "../vision/engine.ts";
import type { Handlers } from "../workers/protocol.ts";
import { serveWorker } from "../workers/worker_host.ts";
import type { EngineInit, EngineOps } from "./ops.ts";

serveWorker<EngineOps, EngineInit>(async (init) => {
  const imaging = await loadImaging({ fonts: init?.fonts });
  const clustering = loadClustering();
  const vision = init?.vision ? await loadVision(init.vision) : null;
  if (!vision) {
    return {
      engines: imaging.engines,
      handlers: { ...imaging.handlers, ...clustering.handlers },
      warmUp: imaging.warmUp,
    };
  }
  // With every engine loaded the worker serves the whole map: a missing handler won't compile.
  const handlers: Handlers<EngineOps> = {
    ...imaging.handlers,
    ...clustering.handlers,
    ...vision.handlers,
  };
  return {
    engines: [...imaging.engines, ...vision.engines],
    handlers,
    warmUp: async () => {
      await imaging.warmUp?.();
      await vision.warmUp?.();
    },
  };
});
