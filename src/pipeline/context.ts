/**
 * What the steps of a manifest job share: the service's parts, the job's control and its
 * progress reporter.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { AssetRow } from "../db/tables.ts";
import { assetsInDisplayOrder } from "../registry/assets.ts";
import type { EventHub } from "../events/event_hub.ts";
import type { JobControl } from "../jobs/job_control.ts";
import type { ReversePromptProvider } from "../llm/provider.ts";
import type { BlobStore } from "../storage/blob_store.ts";
import type { EnginePool } from "../engine/engine_pool.ts";
import type { CropPlanOptions } from "../vision/crop_plan.ts";
import type { ManifestProgress } from "./progress.ts";

/** The service parts a pipeline needs (built once at start). */
export interface PipelineDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly pool: EnginePool;
  readonly hub: EventHub;
  readonly provider: ReversePromptProvider;
  readonly faceMatchThreshold: number;
  readonly cropPlan: CropPlanOptions;
  /** Cells per contact sheet page (`CONTACT_SHEET_PAGE_SIZE`). */
  readonly contactSheetPageSize: number;
}

/** One job's view while its steps run. */
export interface StepContext extends PipelineDeps {
  readonly manifestId: string;
  readonly jobId: string;
  readonly control: JobControl;
  readonly progress: ManifestProgress;
}

/** All assets of a manifest in display order (see `assetsInDisplayOrder`). */
export const manifestAssets = assetsInDisplayOrder;

/**
 * The upload each asset comes from (itself for uploads): face crops hang under person
 * crops, so the chain can be two deep.
 */
export function rootUploads(assets: readonly AssetRow[]): Map<string, AssetRow> {
  const byId = new Map(assets.map((asset) => [asset.id, asset]));
  const roots = new Map<string, AssetRow>();
  for (const asset of assets) {
    let node: AssetRow | undefined = asset;
    for (let depth = 0; node && node.source_asset_id && depth < 8; depth++) {
      node = byId.get(node.source_asset_id);
    }
    if (node) roots.set(asset.id, node);
  }
  return roots;
}
