/**
 * Projects: a script, its look, and the manifest whose tagged assets its storyboard may use.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import type { ProjectsTable } from "../db/tables.ts";
import type { AspectRatio, ProjectStatus } from "../db/vocabulary.ts";
import type { StyleGuide } from "./schemas.ts";
import type { Selectable } from "kysely";
import { AppError, conflict, invalid } from "../errors.ts";
import { latestJobFor } from "../jobs/job_store.ts";
import { now } from "../db/timestamp.ts";
import { getManifest } from "../registry/manifests.ts";

/** A project row as read. */
export type ProjectRow = Selectable<ProjectsTable>;

/** A new project: a script, its look and, optionally, the manifest that grounds it. */
export interface ProjectInput {
  readonly title: string;
  readonly prompt: string;
  readonly style?: string | null;
  readonly aspect_ratio: AspectRatio;
  readonly target_scene_count: number;
  readonly manifest_id?: string | null;
}

/** A change to a project: any subset of its fields. */
export type ProjectPatch = Partial<ProjectInput>;

/** A project as clients see it. */
export type ProjectView = {
  id: string;
  title: string;
  prompt: string;
  style: string | null;
  aspect_ratio: AspectRatio;
  target_scene_count: number;
  manifest_id: string | null;
  manifest_version: number | null;
  status: ProjectStatus;
  style_guide: StyleGuide | null;
  error: string | null;
  scene_count: number;
  job_id: string | null;
  created_at: string;
  updated_at: string;
};

/** Creates a project in `DRAFT`; its manifest, if any, must exist. */
export async function createProject(
  db: Db,
  input: ProjectInput,
): Promise<ProjectRow> {
  if (input.manifest_id) await assertManifestExists(db, input.manifest_id);
  const at = now();
  return await db.insertInto("projects").values({
    id: crypto.randomUUID(),
    title: input.title,
    prompt: input.prompt,
    style: input.style ?? null,
    aspect_ratio: input.aspect_ratio,
    target_scene_count: input.target_scene_count,
    manifest_id: input.manifest_id ?? null,
    created_at: at,
    updated_at: at,
  }).returningAll().executeTakeFirstOrThrow();
}

/**
 * Changes a project's script, look or manifest; refused while its storyboard is being
 * generated. A stored storyboard stays until the next generation replaces it.
 */
export async function updateProject(
  db: Db,
  id: string,
  input: ProjectPatch,
): Promise<ProjectRow> {
  return await db.transaction().execute(async (trx) => {
    const project = await getProject(trx, id);
    await assertNotGenerating(trx, project);
    if (input.manifest_id) await assertManifestExists(trx, input.manifest_id);
    return await trx.updateTable("projects").set({
      ...input,
      ...(input.style !== undefined && { style: input.style ?? null }),
      updated_at: now(),
    }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
  });
}

async function assertManifestExists(db: Db, manifestId: string): Promise<void> {
  await getManifest(db, manifestId).catch((error) => {
    if (error instanceof AppError && error.kind === "not_found") {
      throw invalid(
        "manifest_not_found",
        `Manifest ${manifestId} does not exist: pick a manifest from GET /api/manifests.`,
        { field: "manifest_id" },
      );
    }
    throw error;
  });
}

/** Projects, newest first, optionally only those grounded on one manifest. */
export async function listProjects(db: Db, manifestId?: string): Promise<ProjectRow[]> {
  let query = db.selectFrom("projects").selectAll();
  if (manifestId !== undefined) query = query.where("manifest_id", "=", manifestId);
  return await query.orderBy("updated_at", "desc").orderBy("id").execute();
}

/** The project `id`, or a 404. */
export function getProject(db: Db, id: string): Promise<ProjectRow> {
  return getById(db, "projects", "Project", id);
}

/** Deletes a project and its storyboard; refused while a storyboard is being generated. */
export async function deleteProject(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const project = await getProject(trx, id);
    await assertNotGenerating(trx, project);
    await trx.deleteFrom("projects").where("id", "=", id).execute();
  });
}

/** Refuses a change while a job writes the project's storyboard, naming the job. */
export async function assertNotGenerating(db: Db, project: ProjectRow): Promise<void> {
  if (project.status !== "GENERATING") return;
  const job = await latestJobFor(db, project.id);
  throw conflict(
    "project_generating",
    `Project ${project.id} is GENERATING its storyboard: wait for it or cancel job ${job?.id}.`,
    { project_id: project.id, job_id: job?.id ?? null },
  );
}

/** The view of a project row, with its scene count and newest storyboard job. */
export async function projectToJson(db: Db, row: ProjectRow): Promise<ProjectView> {
  const scenes = await db.selectFrom("scenes").select((eb) => eb.fn.countAll<number>().as("n"))
    .where("project_id", "=", row.id).executeTakeFirstOrThrow();
  const job = await latestJobFor(db, row.id);
  return {
    id: row.id,
    title: row.title,
    prompt: row.prompt,
    style: row.style,
    aspect_ratio: row.aspect_ratio,
    target_scene_count: row.target_scene_count,
    manifest_id: row.manifest_id,
    manifest_version: row.manifest_version,
    status: row.status,
    style_guide: row.style_guide ? JSON.parse(row.style_guide) : null,
    error: row.error,
    scene_count: Number(scenes.n),
    job_id: job?.id ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
