/**
 * Importing a bundle as a new manifest.
 *
 * Everything is checked before anything is written: the archive's table of contents, the
 * document, every image (decoded in a worker, and compared with its checksum). Then the
 * blobs are written (content-addressed, so a photo already stored is the same file), then
 * every row in one transaction. If the transaction fails, the blobs no row references are
 * released again, so a refused bundle leaves no row and no file behind.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Database, ManifestRow } from "../db/tables.ts";
import { now } from "../db/timestamp.ts";
import { AppError, invalid } from "../errors.ts";
import { log } from "../log.ts";
import { DEFAULT_THUMBNAIL_SIZE } from "../engine/image_service.ts";
import { sniffFormat } from "../imaging/format.ts";
import { contactSheetUrl } from "../registry/contact_sheets.ts";
import { inLanes } from "../pipeline/lanes.ts";
import { releaseImages, thumbnailBlobKey } from "../registry/blob_refs.ts";
import type { RegistryDeps } from "../registry/deps.ts";
import {
  type PreparedImage,
  prepareImage,
  restoreBlobsIfReleased,
  storeBlobs,
} from "../registry/uploads.ts";
import { sha256Hex } from "../storage/sha256.ts";
import { BundleArchive } from "./archive.ts";
import { type BundleAsset, MANIFEST_ENTRY } from "./format.ts";
import type { BundleLimits } from "./limits.ts";
import { type ImportPlan, type PlannedSheetPage, validateBundle } from "./validate.ts";

/** Images decoded at once: each holds a worker and a copy of its bytes. */
const DECODE_LANES = 4;

/** A checked contact sheet page. */
interface PreparedSheet {
  readonly page: PlannedSheetPage;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** Creates a new manifest from the bundle in `bytes`; 4xx and nothing written when refused. */
export async function importBundle(
  deps: RegistryDeps,
  bytes: Uint8Array,
  limits: BundleLimits,
): Promise<ManifestRow> {
  const archive = await BundleArchive.open(bytes, limits);
  let plan: ImportPlan;
  let images: Map<string, PreparedImage>;
  let sheets: PreparedSheet[];
  try {
    if (!archive.names().has(MANIFEST_ENTRY)) {
      throw invalid(
        "missing_bundle_manifest",
        `The ZIP has no ${MANIFEST_ENTRY} at its top level, so it is not a Manifest Studio ` +
          "bundle: import a file made by GET /api/manifests/{id}/export, unchanged.",
        { entry: MANIFEST_ENTRY },
      );
    }
    const document = await archive.read(MANIFEST_ENTRY, limits.maxManifestBytes);
    plan = validateBundle(document, archive.names());
    images = await readImages(deps, archive, plan.assets);
    sheets = await readContactSheets(deps, archive, plan.contactSheetPages);
  } finally {
    await archive.close();
  }
  return await write(deps, plan, images, sheets);
}

/** Every asset's image, decoded and checked; keyed by the asset's `ref`. */
async function readImages(
  deps: RegistryDeps,
  archive: BundleArchive,
  assets: readonly BundleAsset[],
): Promise<Map<string, PreparedImage>> {
  const prepared = new Map<string, PreparedImage>();
  await inLanes(assets.filter((asset) => asset.image !== null), DECODE_LANES, async (asset) => {
    const { file, sha256 } = asset.image!;
    const bytes = await archive.read(file);
    let image: PreparedImage;
    try {
      image = await prepareImage(deps, { filename: file, bytes });
    } catch (error) {
      throw aboutEntry(error, file, asset.ref);
    }
    if (image.uploadSha256 !== sha256) {
      throw invalid(
        "image_checksum_mismatch",
        `${file} (${asset.ref}) is not the image manifest.json names (its SHA-256 differs): ` +
          "the bundle was changed or damaged; export it again.",
        { entry: file, ref: asset.ref },
      );
    }
    prepared.set(asset.ref, image);
  });
  return prepared;
}

/**
 * The contact sheet's pages, each decoded like any image. A page too large to decode here is
 * left out with the pages after it rather than refused: they are derived data, and the next
 * processing run draws them again.
 */
async function readContactSheets(
  deps: RegistryDeps,
  archive: BundleArchive,
  pages: readonly PlannedSheetPage[],
): Promise<PreparedSheet[]> {
  const sheets: PreparedSheet[] = [];
  for (const page of pages) {
    const { entry } = page;
    const bytes = await archive.read(entry);
    if (sniffFormat(bytes) !== "jpeg") {
      throw new AppError(
        "unsupported_media_type",
        `${entry}: a contact sheet page is a JPEG image, and this file is not one.`,
        { code: "unsupported_image_format", details: { entry } },
      );
    }
    try {
      await deps.images.inspect(bytes);
    } catch (error) {
      if (error instanceof AppError && error.code === "image_too_large") {
        log.warn("Imported contact sheet pages left out: too large to check.", { entry });
        break;
      }
      throw aboutEntry(error, entry, null);
    }
    sheets.push({ page, bytes, sha256: await sha256Hex(bytes) });
  }
  return sheets;
}

/** Writes blobs, then rows in one transaction; releases the blobs again if that fails. */
async function write(
  deps: RegistryDeps,
  plan: ImportPlan,
  images: ReadonlyMap<string, PreparedImage>,
  sheets: readonly PreparedSheet[],
): Promise<ManifestRow> {
  const manifestId = crypto.randomUUID();
  const prepared = [...images.values()];
  // Thumbnails are written even for images already stored; the new ones go if this fails.
  const thumbnails = prepared.map((image) =>
    thumbnailBlobKey(image.imageKey, DEFAULT_THUMBNAIL_SIZE)
  );
  const newThumbnails: string[] = [];
  for (const key of thumbnails) if (!(await deps.blobs.has(key))) newThumbnails.push(key);
  // The same scheme as the pipeline's sheets, under the new manifest, so nothing shares them.
  const pages = sheets.map((sheet) => ({
    ...sheet.page,
    bytes: sheet.bytes,
    key: `sheets/${manifestId}/${sheet.sha256.slice(0, 32)}.jpg`,
  }));
  try {
    await storeBlobs(deps, prepared);
    for (const page of pages) await deps.blobs.put(page.key, page.bytes);
    const row = await deps.db.transaction().execute((trx) =>
      insertRows(trx, manifestId, plan, images, pages)
    );
    await restoreBlobsIfReleased(deps, prepared);
    return row;
  } catch (error) {
    await releaseImages(deps.db, deps.blobs, prepared.map((image) => image.imageKey));
    for (const key of newThumbnails) await deps.blobs.delete(key);
    for (const page of pages) await deps.blobs.delete(page.key);
    throw error;
  }
}

async function insertRows(
  trx: Transaction<Database>,
  manifestId: string,
  plan: ImportPlan,
  images: ReadonlyMap<string, PreparedImage>,
  pages: readonly (PlannedSheetPage & { readonly key: string })[],
): Promise<ManifestRow> {
  const { manifest } = plan.document;
  const at = now();
  const sheetKey = pages[0]?.key ?? null;
  const row = await trx.insertInto("manifests").values({
    id: manifestId,
    name: manifest.name,
    description: manifest.description,
    category: manifest.category,
    tags: JSON.stringify(manifest.tags),
    status: manifest.status,
    error: manifest.error,
    contact_sheet_key: sheetKey,
    contact_sheet_url: sheetKey ? contactSheetUrl(manifestId) : null,
    asset_count: plan.assets.length,
    created_at: at,
    updated_at: at,
  }).returningAll().executeTakeFirstOrThrow();
  // The bundle's pages, kept until the next processing draws the sheet again: the empty
  // fingerprint never matches, so every page is redrawn from the imported thumbnails then.
  for (const page of pages) {
    await trx.insertInto("contact_sheets").values({
      manifest_id: manifestId,
      page: page.page,
      first_cell: page.firstCell,
      last_cell: page.lastCell,
      blob_key: page.key,
      fingerprint: "",
      created_at: at,
      updated_at: at,
    }).execute();
  }

  // Identities first without their primary: assets and identities point at each other.
  const identityIds = new Map<string, string>();
  for (const identity of plan.document.identities) {
    const id = crypto.randomUUID();
    identityIds.set(identity.id, id);
    await trx.insertInto("identities").values({
      id,
      manifest_id: manifestId,
      name: identity.name,
      member_count: identity.members.length,
      locked: identity.locked ? 1 : 0,
      created_at: at,
    }).execute();
  }
  const assetIds = new Map<string, string>();
  // Parents come first in the plan, so every source_asset_id refers to a row already there.
  for (const asset of plan.assets) {
    const id = crypto.randomUUID();
    assetIds.set(asset.ref, id);
    const image = images.get(asset.ref);
    await trx.insertInto("assets").values({
      id,
      manifest_id: manifestId,
      asset_type: asset.type,
      name: asset.name,
      manifest_tag: asset.tag,
      user_tags: JSON.stringify(asset.user_tags),
      description: asset.description,
      source: asset.source,
      source_asset_id: asset.parent === null ? null : assetIds.get(asset.parent)!,
      extraction_role: asset.extraction_role,
      sort_order: asset.sort_order,
      image_key: image?.imageKey ?? null,
      upload_sha256: image && asset.source === "uploaded"
        ? asset.image!.upload_sha256 ?? image.uploadSha256
        : null,
      mime: image?.mime ?? null,
      width: image?.width ?? null,
      height: image?.height ?? null,
      reverse_prompt: asset.prompts.reverse_prompt,
      visual_description: asset.prompts.visual_description,
      suggested_name: asset.prompts.suggested_name,
      prompt_provider: asset.prompts.provider,
      prompt_error: asset.prompts.error,
      quality_score: asset.quality_score,
      detection_class: asset.detection.class,
      detection_confidence: asset.detection.confidence,
      crop_bbox: asset.crop_bbox ? JSON.stringify(asset.crop_bbox) : null,
      is_face_crop: asset.is_face_crop ? 1 : 0,
      identity_id: asset.identity === null ? null : identityIds.get(asset.identity)!,
      detected_at: asset.processed.detected_at,
      // Embeddings are not in bundles: face matching re-embeds faces whose time is unset.
      embedded_at: null,
      prompted_at: asset.processed.prompted_at,
      created_at: at,
      updated_at: at,
    }).execute();
  }
  for (const identity of plan.document.identities) {
    if (identity.primary === null) continue;
    await trx.updateTable("identities")
      .set({ primary_asset_id: assetIds.get(identity.primary)! })
      .where("id", "=", identityIds.get(identity.id)!).execute();
  }
  for (const [prefix, last] of plan.counters) {
    await trx.insertInto("tag_counters")
      .values({ manifest_id: manifestId, prefix, last_number: last }).execute();
  }
  return row;
}

/** `error` with the entry (and asset) it is about in front of its message. */
function aboutEntry(error: unknown, entry: string, ref: string | null): unknown {
  if (!(error instanceof AppError)) return error;
  const what = ref ? `${entry} (${ref})` : entry;
  const details = { entry, ...(ref && { ref }), ...(error.details as object | undefined) };
  return new AppError(error.kind, `${what}: ${error.message}`, { code: error.code, details });
}
