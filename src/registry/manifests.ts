/**
 * Manifests: create, list, read, change and delete.
 *
 * @module
 */
import { sql, type Transaction } from "kysely";
import type { ManifestInput, ManifestPatch, ManifestQuery } from "./inputs.ts";
import type { Database, ManifestRow } from "../db/tables.ts";
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import { conflict } from "../errors.ts";
import { releaseContactSheetBlobs, releaseImages } from "./blob_refs.ts";
import { latestJobFor } from "../jobs/job_store.ts";
import { type RegistryDeps } from "./deps.ts";
import { now } from "../db/timestamp.ts";

/** Creates a manifest in `DRAFT`. */
export async function createManifest(
  { db }: RegistryDeps,
  input: ManifestInput,
): Promise<ManifestRow> {
  const at = now();
  return await db.insertInto("manifests").values({
    id: crypto.randomUUID(),
    name: input.name,
    description: input.description ?? null,
    category: input.category,
    tags: JSON.stringify(input.tags),
    created_at: at,
    updated_at: at,
  }).returningAll().executeTakeFirstOrThrow();
}

/** A filtered, sorted page of manifests and the total that matched. */
export async function listManifests(
  { db }: RegistryDeps,
  query: ManifestQuery,
): Promise<{ items: ManifestRow[]; total: number }> {
  let base = db.selectFrom("manifests");
  if (query.status) base = base.where("status", "=", query.status);
  if (query.category) base = base.where("category", "=", query.category);
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    base = base.where((eb) =>
      eb.or([
        eb(sql`lower(name)`, "like", sql`lower(${pattern}) escape '\\'`),
        eb(sql`lower(coalesce(description, ''))`, "like", sql`lower(${pattern}) escape '\\'`),
      ])
    );
  }
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as("total"))
    .executeTakeFirstOrThrow();
  const items = await base.selectAll()
    .orderBy(query.sort === "name" ? sql`lower(name)` : query.sort, query.order)
    .orderBy("id")
    .limit(query.limit).offset(query.offset).execute();
  return { items, total: Number(total) };
}

/** The manifest `id`, or a 404. */
export function getManifest(db: Db, id: string): Promise<ManifestRow> {
  return getById(db, "manifests", "Manifest", id);
}

/**
 * Refuses to change a manifest while a job is processing it, naming the job to wait for or
 * cancel.
 */
export async function assertNotProcessing(
  db: Db,
  manifest: ManifestRow,
): Promise<void> {
  if (manifest.status !== "PROCESSING") return;
  // Manifest jobs are serialised on their manifest: its id is their key.
  const job = await latestJobFor(db, manifest.id, { active: true });
  const wait = job ? `wait for it or cancel job ${job.id}` : "wait for processing to finish";
  throw conflict(
    "manifest_processing",
    `Manifest ${manifest.id} is PROCESSING: ${wait}.`,
    { manifest_id: manifest.id, job_id: job?.id ?? null },
  );
}

/** Records a content change: bumps `version`, recounts assets, sets `updated_at`. */
export async function touchManifest(trx: Transaction<Database>, id: string): Promise<void> {
  await trx.updateTable("manifests").set((eb) => ({
    version: eb("version", "+", 1),
    asset_count: eb.selectFrom("assets").select(eb.fn.countAll<number>().as("n"))
      .where("assets.manifest_id", "=", id),
    updated_at: now(),
  })).where("id", "=", id).execute();
}

/** Changes a manifest's own fields. */
export async function updateManifest(
  { db }: RegistryDeps,
  id: string,
  patch: ManifestPatch,
): Promise<ManifestRow> {
  return await db.transaction().execute(async (trx) => {
    const manifest = await getManifest(trx, id);
    await assertNotProcessing(trx, manifest);
    await trx.updateTable("manifests").set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.category !== undefined && { category: patch.category }),
      ...(patch.tags !== undefined && { tags: JSON.stringify(patch.tags) }),
    }).where("id", "=", id).execute();
    await touchManifest(trx, id);
    return await getManifest(trx, id);
  });
}

/**
 * Deletes a manifest with its assets, identities, tag counters and contact sheet pages, then
 * their unreferenced blobs; refused while it is processing or while a project's storyboard is
 * grounded on it.
 */
export async function deleteManifest(deps: RegistryDeps, id: string): Promise<void> {
  const { imageKeys, sheetKeys } = await deps.db.transaction().execute(async (trx) => {
    const manifest = await getManifest(trx, id);
    await assertNotProcessing(trx, manifest);
    const projects = await trx.selectFrom("projects").select(["id", "title"])
      .where("manifest_id", "=", id).execute();
    if (projects.length > 0) {
      const names = projects.map((p) => `"${p.title}" (${p.id})`).join(", ");
      throw conflict(
        "manifest_in_use",
        `Manifest ${id} is used by project ${names}: delete the project first (DELETE /api/projects/{id}).`,
        { project_ids: projects.map((p) => p.id) },
      );
    }
    const keys = await trx.selectFrom("assets").select("image_key")
      .where("manifest_id", "=", id).execute();
    const sheets = await trx.selectFrom("contact_sheets").select("blob_key")
      .where("manifest_id", "=", id).execute();
    // Break the identity ↔ asset cycle before the cascade removes both.
    await trx.updateTable("assets").set({ identity_id: null }).where("manifest_id", "=", id)
      .execute();
    await trx.deleteFrom("manifests").where("id", "=", id).execute();
    return {
      imageKeys: keys.map((row) => row.image_key),
      sheetKeys: sheets.map((row) => row.blob_key),
    };
  });
  await releaseImages(deps.db, deps.blobs, imageKeys);
  await releaseContactSheetBlobs(deps.db, deps.blobs, sheetKeys);
}
