/**
 * Where an asset is used: the projects and scenes whose stored storyboard names its tag, and
 * the guard that keeps an asset in use from being deleted or retyped by accident.
 *
 * An asset counts under every tag of its identity: the storyboard job stores an alias as its
 * identity's primary tag (docs/pipeline.md, "The registry"), so a storyboard that names the
 * primary uses each crop of that person too. Only projects grounded on the asset's manifest
 * are looked at, since tags are numbered per manifest.
 *
 * The JSON-list columns are read and matched in code rather than in SQL (no `json_each`):
 * the same query then runs on any SQL database, and a manifest's projects hold few scenes.
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import { getById } from "../db/get_by_id.ts";
import { parseJsonList } from "../db/json_list.ts";
import type { AssetRow } from "../db/tables.ts";
import { conflict } from "../errors.ts";

/** How a scene uses a tag. */
export const USAGE_ROLES = ["placement", "speaker", "character"] as const;

/**
 * `placement`: placed in the scene (`scene_manifests.asset_tags`); `speaker`: speaks in it
 * (`scene_audio_manifests.speaker_tags`); `character`: one of the storyboard's recurring
 * characters (`characters[].asset_tag`) — on a scene, when the scene places or hears it.
 */
export type UsageRole = (typeof USAGE_ROLES)[number];

/** One scene that uses the asset. */
export type SceneUsage = { scene_index: number; roles: UsageRole[] };

/** One project whose storyboard uses the asset. */
export type ProjectUsage = {
  project_id: string;
  title: string;
  /** Every role of the project's scenes, plus `character` when it is a character anywhere. */
  roles: UsageRole[];
  scenes: SceneUsage[];
};

/** Body of `GET /assets/{id}/usage`. */
export type AssetUsageView = {
  asset_id: string;
  /** The tags looked for: the asset's and its identity's other members'. */
  tags: string[];
  projects: ProjectUsage[];
};

/** Where the asset `id` is used; a 404 for an unknown asset. */
export async function assetUsage(db: Db, id: string): Promise<AssetUsageView> {
  // Read through getById, not getAsset: assets.ts imports this module for its guard.
  const asset = await getById(db, "assets", "Asset", id);
  const tags = await usageTags(db, [asset]);
  return { asset_id: asset.id, tags, projects: await findUsage(db, asset.manifest_id, tags) };
}

/** What a change to a used asset would do; words the 409 refusing it. */
export type UsageChange = "delete" | "retype";

/**
 * Refuses `change` of `asset` with 409 `asset_in_use` when a stored storyboard uses it or
 * any of `affected` (the asset itself, and for a delete the crops that go with it), naming
 * the projects and scene indices. Call inside the transaction that makes the change.
 */
export async function assertNotInUse(
  db: Db,
  asset: AssetRow,
  affected: readonly AssetRow[],
  change: UsageChange,
): Promise<void> {
  const tags = await usageTags(db, affected);
  const projects = await findUsage(db, asset.manifest_id, tags);
  if (projects.length === 0) return;
  const name = asset.manifest_tag ?? asset.id;
  const counted = tags.length > 1 ? ` (counting the tags ${tags.join(", ")})` : "";
  const consequence = change === "delete"
    ? "deleting it would leave those scenes naming a tag that no longer exists"
    : "a new asset_type gives it a new tag, and those scenes would keep naming the retired one";
  const retry = change === "delete"
    ? `DELETE /api/assets/${asset.id}?force=true to delete it anyway`
    : `PUT /api/assets/${asset.id}?force=true to change its type anyway`;
  throw conflict(
    "asset_in_use",
    `Asset ${name}${counted} is used by ${describe(projects)}: ${consequence}. Regenerate ` +
      `those storyboards first, or send ${retry}.`,
    { asset_id: asset.id, tags, projects } satisfies AssetUsageView,
  );
}

/**
 * The tags under which `assets` are used: their own, and every tag of the identities they
 * belong to, sorted.
 */
export async function usageTags(db: Db, assets: readonly AssetRow[]): Promise<string[]> {
  const tags = new Set(assets.flatMap((asset) => asset.manifest_tag ?? []));
  const identities = [...new Set(assets.flatMap((asset) => asset.identity_id ?? []))];
  if (identities.length > 0) {
    const members = await db.selectFrom("assets").select("manifest_tag")
      .where("identity_id", "in", identities).where("manifest_tag", "is not", null).execute();
    for (const member of members) tags.add(member.manifest_tag!);
  }
  return [...tags].sort();
}

/**
 * The projects grounded on `manifestId` whose stored storyboard names one of `tags`, by
 * title, each with the scenes that do, in playback order.
 */
export async function findUsage(
  db: Db,
  manifestId: string,
  tags: readonly string[],
): Promise<ProjectUsage[]> {
  if (tags.length === 0) return [];
  const projects = await db.selectFrom("projects").select(["id", "title", "storyboard_raw"])
    .where("manifest_id", "=", manifestId).where("storyboard_raw", "is not", null)
    .orderBy("title").orderBy("id").execute();
  if (projects.length === 0) return [];
  const ids = projects.map((project) => project.id);
  const visuals = await db.selectFrom("scene_manifests")
    .select(["project_id", "scene_index", "asset_tags"])
    .where("project_id", "in", ids).orderBy("scene_index").execute();
  const audios = await db.selectFrom("scene_audio_manifests")
    .select(["project_id", "scene_index", "speaker_tags"])
    .where("project_id", "in", ids).execute();
  const wanted = new Set(tags);
  const speakers = new Map(
    audios.map((row) => [`${row.project_id}/${row.scene_index}`, parseJsonList(row.speaker_tags)]),
  );
  const used: ProjectUsage[] = [];
  for (const project of projects) {
    const characters = new Set(characterTags(project.storyboard_raw).filter((t) => wanted.has(t)));
    const scenes: SceneUsage[] = [];
    for (const visual of visuals.filter((row) => row.project_id === project.id)) {
      const placed = parseJsonList(visual.asset_tags).filter((tag) => wanted.has(tag));
      const spoken = (speakers.get(`${project.id}/${visual.scene_index}`) ?? [])
        .filter((tag) => wanted.has(tag));
      const roles: UsageRole[] = [];
      if (placed.length > 0) roles.push("placement");
      if (spoken.length > 0) roles.push("speaker");
      if ([...placed, ...spoken].some((tag) => characters.has(tag))) roles.push("character");
      if (roles.length > 0) scenes.push({ scene_index: visual.scene_index, roles });
    }
    if (scenes.length === 0 && characters.size === 0) continue;
    const roles = new Set(scenes.flatMap((scene) => scene.roles));
    if (characters.size > 0) roles.add("character");
    used.push({
      project_id: project.id,
      title: project.title,
      roles: USAGE_ROLES.filter((role) => roles.has(role)),
      scenes,
    });
  }
  return used;
}

/** `characters[].asset_tag` of a stored storyboard; none when the JSON cannot be read. */
function characterTags(storyboardRaw: string | null): string[] {
  try {
    const characters = JSON.parse(storyboardRaw ?? "null")?.characters;
    if (!Array.isArray(characters)) return [];
    return characters.map((c) => c?.asset_tag).filter((tag) => typeof tag === "string");
  } catch {
    return [];
  }
}

/** e.g. `the storyboard of "Night walk" (project …, scene indices 0, 2)`. */
function describe(projects: readonly ProjectUsage[]): string {
  const one = (project: ProjectUsage) => {
    const indices = project.scenes.map((scene) => scene.scene_index);
    const where = indices.length === 0
      ? "as a character"
      : `scene ${indices.length === 1 ? "index" : "indices"} ${indices.join(", ")}`;
    return `"${project.title}" (project ${project.project_id}, ${where})`;
  };
  return projects.length === 1
    ? `the storyboard of ${one(projects[0])}`
    : `${projects.length} storyboards: ${projects.map(one).join("; ")}`;
}
