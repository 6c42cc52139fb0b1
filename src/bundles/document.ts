/**
 * Builds a bundle's `manifest.json` from a manifest's rows. Pure: the export reads the rows,
 * this turns them into the document and the list of image entries to write.
 *
 * @module
 */
import type { AssetFields, IdentityRow, ManifestRow } from "../db/tables.ts";
import { parseJsonList } from "../db/json_list.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleAsset,
  type BundleDocument,
  type BundleIdentity,
  imageEntry,
  untaggedRef,
} from "./format.ts";

/** An image the bundle holds: which entry, and the blob it is read from. */
export interface ImageEntry {
  readonly entry: string;
  /** The asset's `image_key` (a SHA-256): its blob is `contentKey(imageKey)`. */
  readonly imageKey: string;
}

/** What a manifest's rows become in a bundle. */
export interface BundleContents {
  readonly document: BundleDocument;
  /** One per asset with an image, in asset order. */
  readonly images: readonly ImageEntry[];
}

/** What the document is made of. */
export interface BundleSource {
  readonly manifest: ManifestRow;
  /** In display order: the order the document lists them in. */
  readonly assets: readonly AssetFields[];
  readonly identities: readonly IdentityRow[];
  /** `tag_counters` rows of the manifest. */
  readonly counters: readonly { readonly prefix: string; readonly last_number: number }[];
  /** Entries of the contact sheet pages the bundle will hold, in page order from page 1. */
  readonly contactSheetPages: readonly string[];
  /** Cells per page, when there are several pages. */
  readonly contactSheetPageSize?: number;
  readonly exportedAt: string;
}

/** The document and image list of a bundle. */
export function bundleContents(source: BundleSource): BundleContents {
  const refs = assetRefs(source.assets);
  const localIds = identityIds(source.identities, source.assets);
  const members = new Map<string, string[]>();
  for (const asset of source.assets) {
    const local = asset.identity_id ? localIds.get(asset.identity_id) : undefined;
    if (local) members.set(local, [...members.get(local) ?? [], refs.get(asset.id)!]);
  }
  const images: ImageEntry[] = [];
  const assets = source.assets.map((row): BundleAsset => {
    const ref = refs.get(row.id)!;
    const entry = row.image_key ? imageEntry(ref, row.mime) : null;
    if (entry) images.push({ entry, imageKey: row.image_key! });
    return assetOf(row, ref, entry, refs, localIds);
  });
  const identities = source.identities.flatMap((row): BundleIdentity[] => {
    const id = localIds.get(row.id);
    if (!id) return [];
    const group = members.get(id)!;
    const primary = row.primary_asset_id ? refs.get(row.primary_asset_id) ?? null : null;
    return [{
      id,
      name: row.name,
      primary: primary && group.includes(primary) ? primary : null,
      members: group,
      locked: row.locked === 1,
    }];
  });
  const { manifest } = source;
  return {
    document: {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      exported_at: source.exportedAt,
      manifest: {
        name: manifest.name,
        description: manifest.description,
        category: manifest.category,
        tags: parseJsonList(manifest.tags),
        // The export refuses a PROCESSING manifest, so this is one of the three others.
        status: manifest.status === "PROCESSING" ? "DRAFT" : manifest.status,
        error: manifest.error,
        version: manifest.version,
        tag_counters: Object.fromEntries(
          source.counters.map((counter) => [counter.prefix, counter.last_number]),
        ),
        contact_sheet_pages: [...source.contactSheetPages],
        ...(source.contactSheetPages.length > 1 &&
          { contact_sheet_page_size: source.contactSheetPageSize }),
      },
      assets,
      identities,
    },
    images,
  };
}

/** Each asset's `ref`: its tag, or `untagged-<n>` numbered in document order. */
function assetRefs(assets: readonly AssetFields[]): Map<string, string> {
  let untagged = 0;
  return new Map(
    assets.map((asset) => [asset.id, asset.manifest_tag ?? untaggedRef(++untagged)]),
  );
}

/** `identity-<n>` for every identity that has a member, in the order given. */
function identityIds(
  identities: readonly IdentityRow[],
  assets: readonly AssetFields[],
): Map<string, string> {
  const used = new Set(assets.map((asset) => asset.identity_id));
  const ids = new Map<string, string>();
  for (const identity of identities) {
    // An identity without members is removed by the next recount; it means nothing here.
    if (used.has(identity.id)) ids.set(identity.id, `identity-${ids.size + 1}`);
  }
  return ids;
}

function assetOf(
  row: AssetFields,
  ref: string,
  entry: string | null,
  refs: ReadonlyMap<string, string>,
  localIds: ReadonlyMap<string, string>,
): BundleAsset {
  return {
    ref,
    tag: row.manifest_tag,
    type: row.asset_type,
    name: row.name,
    description: row.description,
    user_tags: parseJsonList(row.user_tags),
    source: row.source,
    parent: row.source_asset_id ? refs.get(row.source_asset_id) ?? null : null,
    extraction_role: row.extraction_role,
    is_face_crop: row.is_face_crop === 1,
    sort_order: row.sort_order,
    identity: row.identity_id ? localIds.get(row.identity_id) ?? null : null,
    quality_score: row.quality_score,
    prompts: {
      reverse_prompt: row.reverse_prompt,
      visual_description: row.visual_description,
      suggested_name: row.suggested_name,
      provider: row.prompt_provider,
      error: row.prompt_error,
    },
    detection: { class: row.detection_class, confidence: row.detection_confidence },
    crop_bbox: row.crop_bbox ? JSON.parse(row.crop_bbox) : null,
    image: entry
      ? {
        file: entry,
        mime: row.mime ?? "application/octet-stream",
        width: row.width,
        height: row.height,
        sha256: row.image_key!,
        upload_sha256: row.source === "uploaded" ? row.upload_sha256 : null,
      }
      : null,
    processed: { detected_at: row.detected_at, prompted_at: row.prompted_at },
  };
}
