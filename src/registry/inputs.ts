/**
 * What the registry's operations accept, as plain types. The API's request schemas are
 * checked against them where a handler passes a validated body on, so the wire format may
 * add rules (lengths, trimming) but never a field the registry does not know.
 *
 * @module
 */
import type { AssetType, ManifestCategory, ManifestStatus } from "../db/vocabulary.ts";

/** A new manifest. */
export interface ManifestInput {
  readonly name: string;
  readonly description?: string | null;
  readonly category: ManifestCategory;
  readonly tags: readonly string[];
}

/** A change to a manifest: any subset of its fields. */
export type ManifestPatch = Partial<ManifestInput>;

/** Columns manifests can be sorted by. */
export type ManifestSort = "updated_at" | "created_at" | "name" | "asset_count";

/** A filtered, sorted page of the library. */
export interface ManifestQuery {
  readonly status?: ManifestStatus;
  readonly category?: ManifestCategory;
  /** Case-insensitive search in name and description. */
  readonly q?: string;
  readonly sort: ManifestSort;
  readonly order: "asc" | "desc";
  readonly limit: number;
  readonly offset: number;
}

/** A new asset without an image yet. */
export interface AssetInput {
  readonly name: string;
  readonly asset_type: AssetType;
  readonly description?: string | null;
  readonly user_tags: readonly string[];
}

/** A change to an asset made by a person. */
export interface AssetPatch {
  readonly name?: string;
  readonly description?: string | null;
  readonly asset_type?: AssetType;
  readonly user_tags?: readonly string[];
  readonly sort_order?: number;
  readonly reverse_prompt?: string | null;
  readonly visual_description?: string | null;
}
