/**
 * Views that hold every asset of a manifest — the manifest with its assets, identities and
 * token usage, and the list of its assets — written as JSON text while the assets are read:
 * a manifest of thousands of assets is never in memory whole, neither as rows nor as text.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { joinChunks, jsonChunks, type JsonText } from "../json_chunks.ts";
import { assetFieldSlicesInDisplayOrder } from "./assets.ts";
import { listIdentities } from "./identities.ts";
import { getManifest } from "./manifests.ts";
import {
  assetToJson,
  type AssetView,
  identityToJson,
  type IdentityView,
  manifestToJson,
  type ManifestView,
  type TokenUsage,
} from "./serialize.ts";

/** A manifest with everything in it, as clients see it. */
export type ManifestDetailView = ManifestView & {
  assets: AssetView[];
  identities: IdentityView[];
  token_usage: TokenUsage;
};

/**
 * The text of {@linkcode ManifestDetailView} for manifest `id`, compact (as `JSON.stringify`
 * writes it), in pieces of about 64 KiB. A 404 for an unknown manifest comes before any text.
 */
export async function manifestDetailText(
  db: Db,
  id: string,
): Promise<JsonText<ManifestDetailView>> {
  const manifest = await getManifest(db, id);
  const identities = await listIdentities(db, id);
  const token_usage = await tokenUsage(db, id);
  const document: Record<keyof ManifestDetailView, unknown> = {
    ...manifestToJson(manifest),
    assets: assetViews(db, id),
    identities: identities.map(identityToJson),
    token_usage,
  };
  return joinChunks(jsonChunks(document, 0));
}

/**
 * The text of `{ items: AssetView[] }`, the assets of manifest `id` in display order, compact,
 * in pieces of about 64 KiB. A 404 for an unknown manifest comes before any text.
 */
export async function assetListText(
  db: Db,
  id: string,
): Promise<JsonText<{ items: AssetView[] }>> {
  await getManifest(db, id);
  return joinChunks(jsonChunks({ items: assetViews(db, id) }, 0));
}

/** Tokens billed for every asset of the manifest. */
async function tokenUsage(db: Db, manifestId: string): Promise<TokenUsage> {
  const sums = await db.selectFrom("assets")
    .select((eb) => [
      eb.fn.sum<number | string | null>("prompt_input_tokens").as("input"),
      eb.fn.sum<number | string | null>("prompt_output_tokens").as("output"),
    ])
    .where("manifest_id", "=", manifestId).executeTakeFirst();
  // PostgreSQL sums integers as bigint, which its driver hands over as a string.
  return { input_tokens: Number(sums?.input ?? 0), output_tokens: Number(sums?.output ?? 0) };
}

async function* assetViews(db: Db, manifestId: string): AsyncGenerator<AssetView> {
  for await (const slice of assetFieldSlicesInDisplayOrder(db, manifestId)) {
    yield* slice.map(assetToJson);
  }
}
