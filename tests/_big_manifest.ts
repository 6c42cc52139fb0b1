/**
 * A production-sized manifest for dashboard tests and the dashboard benchmark, made in
 * seconds: the six demo photos are processed once for real (detection, faces, prompts,
 * tags), then their rows are copied in the database as if the same cast had been
 * photographed again and again — each copy of a photo is a new upload with its own crops,
 * tags and sort order, and its faces join the same people. Copies share the originals' image
 * blobs (storage is content-addressed), so every tile has a real crop thumbnail.
 *
 * @module
 */
import type { RunningServer } from "../src/server.ts";
import type { AssetRow } from "../src/db/tables.ts";
import { allocateTags } from "../src/registry/tag_allocator.ts";
import { recountIdentities } from "../src/registry/identity_counts.ts";
import { touchManifest } from "../src/registry/manifests.ts";
import { httpClient } from "./_harness.ts";
import { DEMO_FILES, manifestWithPhotos, processAndWait } from "./_pipeline.ts";

/** What {@linkcode bigManifest} made. */
export interface BigManifest {
  readonly manifestId: string;
  /** Assets in all, uploads included. */
  readonly assets: number;
  readonly uploads: number;
  readonly identities: number;
  /** Assets given a `prompt_error`, so the filter has something to find. */
  readonly promptErrors: number;
}

/**
 * Processes the six demo photos in a new manifest, then copies them `copies - 1` times:
 * with the default 15, 90 photos and about 735 assets.
 */
export async function bigManifest(
  server: RunningServer,
  options: { copies?: number; name?: string } = {},
): Promise<BigManifest> {
  const copies = options.copies ?? 15;
  const client = httpClient(server.url);
  const { manifestId } = await manifestWithPhotos(client, DEMO_FILES, options.name ?? "Big cast");
  const progress = await processAndWait(client, manifestId);
  if (progress.status !== "complete") {
    throw new Error(`Processing the demo photos ended ${progress.status}: ${progress.error}`);
  }
  const db = server.services.db;
  const originals = await db.selectFrom("assets").selectAll().where("manifest_id", "=", manifestId)
    .orderBy("sort_order").orderBy("created_at").orderBy("id").execute();
  const photos = originals.filter((a) => a.source === "uploaded").length;
  let promptErrors = 0;
  await db.transaction().execute(async (trx) => {
    for (let copy = 1; copy < copies; copy++) {
      const ids = new Map(originals.map((a) => [a.id, crypto.randomUUID()]));
      // Parents before children, so every source_asset_id names a row already written.
      for (const asset of parentsFirst(originals)) {
        const [tag] = await allocateTags(trx, manifestId, asset.asset_type);
        const error = asset.source === "extracted" && (copy * 7 + asset.sort_order) % 53 === 0;
        if (error) promptErrors++;
        await trx.insertInto("assets").values({
          ...asset,
          id: ids.get(asset.id)!,
          name: asset.source === "uploaded" ? `${asset.name} · take ${copy + 1}` : asset.name,
          manifest_tag: tag,
          source_asset_id: asset.source_asset_id ? ids.get(asset.source_asset_id)! : null,
          sort_order: asset.sort_order + copy * photos,
          upload_sha256: asset.upload_sha256 ? `${asset.upload_sha256}-take-${copy + 1}` : null,
          prompt_error: error
            ? "The provider's answer was not valid JSON (made by the test)."
            : null,
        }).execute();
      }
    }
    await recountIdentities(trx, manifestId);
    await touchManifest(trx, manifestId);
  });
  const counts = await db.selectFrom("assets").select((eb) => [
    eb.fn.countAll<number>().as("assets"),
    eb.fn.sum<number>(eb.case().when("source", "=", "uploaded").then(1).else(0).end()).as(
      "uploads",
    ),
  ]).where("manifest_id", "=", manifestId).executeTakeFirstOrThrow();
  const identities = await db.selectFrom("identities").select((eb) =>
    eb.fn.countAll<number>().as("n")
  )
    .where("manifest_id", "=", manifestId).executeTakeFirstOrThrow();
  return {
    manifestId,
    assets: Number(counts.assets),
    uploads: Number(counts.uploads),
    identities: Number(identities.n),
    promptErrors,
  };
}

/** `assets` ordered so that each comes after the asset it was cut from. */
function parentsFirst(assets: readonly AssetRow[]): AssetRow[] {
  const byId = new Map(assets.map((a) => [a.id, a]));
  const depth = (asset: AssetRow): number => {
    let d = 0;
    for (let node = asset; node.source_asset_id && d < 10; d++) {
      node = byId.get(node.source_asset_id) ?? node;
    }
    return d;
  };
  return [...assets].sort((a, b) => depth(a) - depth(b));
}
