/**
 * Step 3, `face_matching`: every face crop gets an embedding (already made by detection;
 * re-made here for a face whose embedding was cleared), then faces are clustered into
 * identities — average linkage, faces of one photo never together, hand-locked identities
 * kept as the user left them (docs/pipeline.md, face clustering).
 *
 * Identities are matched to the previous run's by shared members, so their ids stay stable
 * across runs.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { AssetRow, Database, IdentityRow } from "../../db/tables.ts";
import { now } from "../../db/timestamp.ts";
import { contentKey } from "../../storage/blob_store.ts";
import { analyzeImage } from "../../engine/vision_client.ts";
import { type Box, iou } from "../../vision/geometry.ts";
import { clusterFaces } from "../../engine/face_clustering_client.ts";
import { manifestAssets, rootUploads, type StepContext } from "../context.ts";
import { embeddingBlob } from "./detection.ts";

/** A stored embedding as floats. */
export function embeddingOf(asset: AssetRow): Float32Array | null {
  const blob = asset.face_embedding;
  if (!blob || blob.byteLength % 4 !== 0) return null;
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

/** Runs the face-matching step. */
export async function runFaceMatching(ctx: StepContext): Promise<void> {
  await embedMissingFaces(ctx);
  await ctx.control.checkpoint();
  const assets = await manifestAssets(ctx.db, ctx.manifestId);
  const roots = rootUploads(assets);
  const faces = assets.filter((asset) => asset.is_face_crop === 1 && embeddingOf(asset));
  ctx.progress.update({ faces_embedded: faces.length });

  // The identities are read, and the faces clustered in a worker, before the transaction:
  // nobody else changes them while the manifest is PROCESSING, and a long clustering must not
  // hold the database's write lock.
  const identities = await ctx.db.selectFrom("identities").selectAll()
    .where("manifest_id", "=", ctx.manifestId).execute();
  const locked = identities.filter((identity) => identity.locked === 1);
  const lockedIds = new Set(locked.map((identity) => identity.id));
  const lockedGroups = locked.map((identity) =>
    faces.filter((face) => face.identity_id === identity.id).map((face) => face.id)
  );
  const clusters = await ctx.control.interruptible(clusterFaces(
    ctx.pool,
    faces.map((face) => ({
      id: face.id,
      photoId: roots.get(face.id)?.id ?? face.id,
      embedding: embeddingOf(face)!,
    })),
    { threshold: ctx.faceMatchThreshold, locked: lockedGroups },
  ));
  await ctx.control.checkpoint();
  const byId = new Map(assets.map((asset) => [asset.id, asset]));
  const unlocked = identities.filter((identity) => !lockedIds.has(identity.id));
  const assignment = assignIdentities(clusters, byId, unlocked, lockedIds);
  await ctx.db.transaction().execute(async (trx) => {
    await writeIdentities(trx, ctx.manifestId, assets, assignment, unlocked);
  });

  const after = await ctx.db.selectFrom("assets").select(["identity_id"])
    .where("manifest_id", "=", ctx.manifestId).where("is_face_crop", "=", 1).execute();
  const sizes = new Map<string, number>();
  for (const { identity_id } of after) {
    if (identity_id) sizes.set(identity_id, (sizes.get(identity_id) ?? 0) + 1);
  }
  ctx.progress.update({
    identities: sizes.size,
    face_merges: [...sizes.values()].reduce((sum, n) => sum + n - 1, 0),
  });
}

/** Re-embeds face crops whose embedding was cleared, from their upload, matched by box. */
async function embedMissingFaces(ctx: StepContext): Promise<void> {
  const assets = await manifestAssets(ctx.db, ctx.manifestId);
  const roots = rootUploads(assets);
  const missing = assets.filter((asset) =>
    asset.is_face_crop === 1 && asset.embedded_at === null && asset.crop_bbox
  );
  const byUpload = Map.groupBy(missing, (face) => roots.get(face.id)!);
  for (const [upload, faces] of byUpload) {
    await ctx.control.checkpoint();
    const bytes = upload.image_key ? await ctx.blobs.get(contentKey(upload.image_key)) : null;
    if (!bytes) continue;
    const analysis = await ctx.control.interruptible(
      analyzeImage(ctx.pool, bytes, { objects: false, crops: false }),
    );
    const at = now();
    for (const face of faces) {
      const box = JSON.parse(face.crop_bbox!) as Box;
      const found = analysis.faces
        .filter((candidate) => candidate.embedding && iou(candidate.box, box) > 0.5)
        .sort((a, b) => iou(b.box, box) - iou(a.box, box))[0];
      if (!found) continue;
      await ctx.db.updateTable("assets").set({
        face_embedding: embeddingBlob(found.embedding!),
        embedded_at: at,
        updated_at: at,
      }).where("id", "=", face.id).execute();
    }
  }
}

/** For each cluster, the identity it becomes (an existing id, or null for a new one). */
interface Assignment {
  readonly members: string[];
  readonly identityId: string | null;
}

/**
 * Keeps locked identities, then gives each remaining cluster the unlocked identity it
 * shares most faces with (largest overlaps first), so ids survive reprocessing.
 */
function assignIdentities(
  clusters: readonly string[][],
  byId: ReadonlyMap<string, AssetRow>,
  unlocked: readonly IdentityRow[],
  lockedIds: ReadonlySet<string>,
): Assignment[] {
  const result: Assignment[] = clusters.map((members) => {
    const current = byId.get(members[0])?.identity_id ?? null;
    const isLocked = current !== null && lockedIds.has(current) &&
      members.every((id) => byId.get(id)?.identity_id === current);
    return { members, identityId: isLocked ? current : null };
  });
  const overlaps: { cluster: number; identity: string; shared: number }[] = [];
  result.forEach((assignment, cluster) => {
    if (assignment.identityId) return;
    const counts = new Map<string, number>();
    for (const id of assignment.members) {
      const previous = byId.get(id)?.identity_id;
      if (previous && !lockedIds.has(previous)) {
        counts.set(previous, (counts.get(previous) ?? 0) + 1);
      }
    }
    for (const [identity, shared] of counts) overlaps.push({ cluster, identity, shared });
  });
  overlaps.sort((a, b) =>
    b.shared - a.shared || a.cluster - b.cluster || a.identity.localeCompare(b.identity)
  );
  const taken = new Set<string>();
  const known = new Set(unlocked.map((identity) => identity.id));
  for (const { cluster, identity } of overlaps) {
    if (result[cluster].identityId || taken.has(identity) || !known.has(identity)) continue;
    result[cluster] = { members: result[cluster].members, identityId: identity };
    taken.add(identity);
  }
  return result;
}

/**
 * Writes the assignment: face crops get their identity, and so do the person crop holding
 * exactly one face and the CHARACTER upload showing exactly one face (the same person).
 */
async function writeIdentities(
  trx: Transaction<Database>,
  manifestId: string,
  assets: readonly AssetRow[],
  assignment: readonly Assignment[],
  unlocked: readonly IdentityRow[],
): Promise<void> {
  const at = now();
  const unlockedIds = new Set(unlocked.map((identity) => identity.id));
  const identityOf = new Map<string, string>();
  const used = new Set<string>();
  for (const { members, identityId } of assignment) {
    let id = identityId;
    if (!id) {
      id = crypto.randomUUID();
      await trx.insertInto("identities").values({
        id,
        manifest_id: manifestId,
        primary_asset_id: members[0],
        created_at: at,
      }).execute();
    }
    used.add(id);
    for (const member of members) identityOf.set(member, id);
  }
  // The holders of a single face: a person crop around it, an upload that shows only it.
  const facesUnder = Map.groupBy(
    assets.filter((asset) => asset.is_face_crop === 1 && identityOf.has(asset.id)),
    (face) => face.source_asset_id ?? "",
  );
  const roots = rootUploads(assets);
  const facesOfUpload = Map.groupBy(
    assets.filter((asset) => asset.is_face_crop === 1 && identityOf.has(asset.id)),
    (face) => roots.get(face.id)!.id,
  );
  for (const asset of assets) {
    if (identityOf.has(asset.id)) continue;
    // Whatever the user put into a locked identity stays there (a face without an
    // embedding included: it was not clustered).
    if (asset.identity_id && !unlockedIds.has(asset.identity_id)) {
      identityOf.set(asset.id, asset.identity_id);
      continue;
    }
    if (asset.is_face_crop === 1) continue;
    let faces: AssetRow[] | undefined;
    if (asset.extraction_role === "person") faces = facesUnder.get(asset.id);
    else if (asset.source === "uploaded" && asset.asset_type === "CHARACTER") {
      faces = facesOfUpload.get(asset.id);
    }
    if (faces?.length === 1) identityOf.set(asset.id, identityOf.get(faces[0].id)!);
  }
  // One statement per identity (and slice of members), not per asset: the transaction holds
  // the database, so it must stay short even with thousands of faces.
  const changed = Map.groupBy(
    assets.filter((asset) => asset.identity_id !== (identityOf.get(asset.id) ?? null)),
    (asset) => identityOf.get(asset.id) ?? null,
  );
  for (const [identity, members] of changed) {
    for (let start = 0; start < members.length; start += 500) {
      const ids = members.slice(start, start + 500).map((asset) => asset.id);
      await trx.updateTable("assets").set({ identity_id: identity, updated_at: at })
        .where("id", "in", ids).execute();
    }
  }
  const stale = unlocked.map((identity) => identity.id).filter((id) => !used.has(id));
  if (stale.length > 0) {
    await trx.updateTable("assets").set({ identity_id: null }).where("identity_id", "in", stale)
      .execute();
    await trx.deleteFrom("identities").where("id", "in", stale).execute();
  }
  await trx.updateTable("identities").set((eb) => ({
    member_count: eb.selectFrom("assets").select(eb.fn.countAll<number>().as("n"))
      .whereRef("assets.identity_id", "=", "identities.id"),
  })).where("manifest_id", "=", manifestId).execute();
}
