/**
 * Turns database rows into the API's JSON shapes (typed by the zod response schemas).
 *
 * @module
 */
import type { z } from "zod";
import type { Asset, Identity, Manifest } from "../api/schemas.ts";
import type { AssetRow, IdentityRow, ManifestRow } from "../db/tables.ts";

const parseList = (json: string | null): string[] => (json ? JSON.parse(json) : []);

/** The API form of a manifest row. */
export function manifestToJson(row: ManifestRow): z.infer<typeof Manifest> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category as z.infer<typeof Manifest>["category"],
    tags: parseList(row.tags),
    status: row.status as z.infer<typeof Manifest>["status"],
    contact_sheet_url: row.contact_sheet_url,
    asset_count: row.asset_count,
    error: row.error,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The API form of an asset row (never the embedding itself: it is binary and large). */
export function assetToJson(row: AssetRow): z.infer<typeof Asset> {
  type A = z.infer<typeof Asset>;
  return {
    id: row.id,
    manifest_id: row.manifest_id,
    asset_type: row.asset_type as A["asset_type"],
    name: row.name,
    manifest_tag: row.manifest_tag,
    user_tags: parseList(row.user_tags),
    description: row.description,
    source: row.source as A["source"],
    source_asset_id: row.source_asset_id,
    extraction_role: row.extraction_role as A["extraction_role"],
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
    has_face_embedding: row.face_embedding !== null,
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

/** The API form of an identity row. */
export function identityToJson(row: IdentityRow): z.infer<typeof Identity> {
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
