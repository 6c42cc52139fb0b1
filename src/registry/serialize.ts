/**
 * The JSON views of manifests, assets and identities: what the API answers and what `asset`
 * frames carry. The API's response schemas are checked against these types by a test, so
 * the two cannot drift apart.
 *
 * @module
 */
import type { AssetFields, AssetRow, IdentityRow, ManifestRow } from "../db/tables.ts";
import type {
  AssetSource,
  AssetType,
  ExtractionRole,
  ManifestCategory,
  ManifestStatus,
} from "../db/vocabulary.ts";

import { parseJsonList } from "../db/json_list.ts";

/** A manifest as clients see it. */
export type ManifestView = {
  id: string;
  name: string;
  description: string | null;
  category: ManifestCategory;
  tags: string[];
  status: ManifestStatus;
  contact_sheet_url: string | null;
  contact_sheet_error: string | null;
  asset_count: number;
  error: string | null;
  version: number;
  created_at: string;
  updated_at: string;
};

/** Tokens a remote provider billed. */
export type TokenUsage = {
  input_tokens: number;
  output_tokens: number;
};

/** An asset as clients see it (never the embedding itself: it is binary and large). */
export type AssetView = {
  id: string;
  manifest_id: string;
  asset_type: AssetType;
  name: string;
  manifest_tag: string | null;
  user_tags: string[];
  description: string | null;
  source: AssetSource;
  source_asset_id: string | null;
  extraction_role: ExtractionRole | null;
  sort_order: number;
  mime: string | null;
  width: number | null;
  height: number | null;
  reference_image_url: string | null;
  thumbnail_url: string | null;
  reverse_prompt: string | null;
  visual_description: string | null;
  quality_score: number | null;
  suggested_name: string | null;
  provider: string | null;
  detection_class: string | null;
  detection_confidence: number | null;
  crop_bbox: number[] | null;
  is_face_crop: boolean;
  identity_id: string | null;
  has_face_embedding: boolean;
  detected_at: string | null;
  embedded_at: string | null;
  prompted_at: string | null;
  prompt_error: string | null;
  token_usage: TokenUsage | null;
  created_at: string;
  updated_at: string;
};

/** One person recognised across photos, as clients see it. */
export type IdentityView = {
  id: string;
  manifest_id: string;
  primary_asset_id: string | null;
  name: string | null;
  member_count: number;
  locked: boolean;
  created_at: string;
};

/** The view of a manifest row. */
export function manifestToJson(row: ManifestRow): ManifestView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    tags: parseJsonList(row.tags),
    status: row.status,
    contact_sheet_url: row.contact_sheet_url,
    contact_sheet_error: row.contact_sheet_error,
    asset_count: row.asset_count,
    error: row.error,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The view of an asset row. */
export function assetToJson(row: AssetRow | AssetFields): AssetView {
  return {
    id: row.id,
    manifest_id: row.manifest_id,
    asset_type: row.asset_type,
    name: row.name,
    manifest_tag: row.manifest_tag,
    user_tags: parseJsonList(row.user_tags),
    description: row.description,
    source: row.source,
    source_asset_id: row.source_asset_id,
    extraction_role: row.extraction_role,
    sort_order: row.sort_order,
    mime: row.mime,
    width: row.width,
    height: row.height,
    reference_image_url: row.image_key ? `/api/assets/${row.id}/image` : null,
    thumbnail_url: row.image_key ? `/api/assets/${row.id}/thumbnail?size=256` : null,
    reverse_prompt: row.reverse_prompt,
    visual_description: row.visual_description,
    quality_score: row.quality_score,
    suggested_name: row.suggested_name,
    provider: row.prompt_provider,
    detection_class: row.detection_class,
    detection_confidence: row.detection_confidence,
    crop_bbox: row.crop_bbox ? JSON.parse(row.crop_bbox) : null,
    is_face_crop: row.is_face_crop === 1,
    identity_id: row.identity_id,
    has_face_embedding: "has_face_embedding" in row
      ? row.has_face_embedding === 1
      : row.face_embedding !== null,
    detected_at: row.detected_at,
    embedded_at: row.embedded_at,
    prompted_at: row.prompted_at,
    prompt_error: row.prompt_error,
    token_usage: row.prompt_input_tokens === null && row.prompt_output_tokens === null ? null : {
      input_tokens: row.prompt_input_tokens ?? 0,
      output_tokens: row.prompt_output_tokens ?? 0,
    },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The view of an identity row. */
export function identityToJson(row: IdentityRow): IdentityView {
  return {
    id: row.id,
    manifest_id: row.manifest_id,
    primary_asset_id: row.primary_asset_id,
    name: row.name,
    member_count: row.member_count,
    locked: row.locked === 1,
    created_at: row.created_at,
  };
}
