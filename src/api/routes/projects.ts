/**
 * Projects and their manifest-aware storyboards.
 *
 * @module
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { invalid } from "../../errors.ts";
import { startStoryboard, type StoryboardDeps } from "../../storyboard/generate.ts";
import { storyboardProgress } from "../../storyboard/progress.ts";
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  projectToJson,
  updateProject,
} from "../../storyboard/projects.ts";
import { loadRegistry } from "../../storyboard/load_registry.ts";
import { renderRegistryBlock } from "../../storyboard/registry.ts";
import { readSceneAudio, readSceneManifest, readStoryboard } from "../../storyboard/storage.ts";
import { listScenes } from "../../storyboard/scene_list.ts";
import { shotListFilename, shotListRows } from "../../storyboard/shot_list.ts";
import { renderShotListCsv } from "../../storyboard/shot_list_csv.ts";
import { renderShotListMarkdown } from "../../storyboard/shot_list_markdown.ts";
import {
  Project,
  ProjectCreate,
  ProjectList,
  ProjectListQuery,
  ProjectUpdate,
  SceneAudio,
  SceneList,
  SceneListQuery,
  SceneManifest,
  Storyboard,
  StoryboardProgress,
  StoryboardStarted,
} from "../project_schemas.ts";
import { IdParam } from "../schemas.ts";
import { errors, json, jsonBody, type RouteGroup, routeGroup } from "../openapi.ts";

/**
 * `{id}` and `{index}` of a scene. The index is checked by hand, after the project is found,
 * so an unknown project answers 404 whatever the index; the schema only describes it.
 */
const SceneParams = IdParam.extend({
  index: z.string().meta({
    type: "integer",
    minimum: 0,
    maximum: 99_999,
    description: "Scenes are numbered 0, 1, 2…",
  }),
});

const create = createRoute({
  method: "post",
  path: "/projects",
  operationId: "createProject",
  tags: ["storyboards"],
  summary: "Create a project: a script grounded on a manifest",
  request: { body: jsonBody(ProjectCreate) },
  responses: {
    201: json(Project, "The new project, DRAFT"),
    ...errors(400, 401, 413, 415, 422),
  },
});

const list = createRoute({
  method: "get",
  path: "/projects",
  operationId: "listProjects",
  tags: ["storyboards"],
  summary: "Projects, most recently changed first",
  request: { query: ProjectListQuery },
  responses: { 200: json(ProjectList, "The projects that match"), ...errors(401, 422) },
});

const read = createRoute({
  method: "get",
  path: "/projects/{id}",
  operationId: "getProject",
  tags: ["storyboards"],
  summary: "A project",
  request: { params: IdParam },
  responses: { 200: json(Project, "The project"), ...errors(401, 404) },
});

const update = createRoute({
  method: "put",
  path: "/projects/{id}",
  operationId: "updateProject",
  tags: ["storyboards"],
  summary: "Change a project's script, look or manifest (409 while generating)",
  request: { params: IdParam, body: jsonBody(ProjectUpdate) },
  responses: {
    200: json(Project, "The changed project"),
    ...errors(400, 401, 404, 409, 413, 415, 422),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/projects/{id}",
  operationId: "deleteProject",
  tags: ["storyboards"],
  summary: "Delete a project and its storyboard",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errors(401, 404, 409) },
});

const registry = createRoute({
  method: "get",
  path: "/manifests/{id}/registry",
  operationId: "getManifestRegistry",
  tags: ["storyboards"],
  summary: "The registry block the storyboard LLM reads (text): one entry per identity or asset",
  request: { params: IdParam },
  responses: {
    200: {
      description: "The registry block, as plain text",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errors(401, 404),
  },
});

const generate = createRoute({
  method: "post",
  path: "/projects/{id}/storyboard",
  operationId: "generateStoryboard",
  tags: ["storyboards"],
  summary: "Generate the storyboard (a job; frames on project:{id})",
  description: "Needs an LLM (503 without GEMINI_API_KEY) and a READY manifest with tagged assets.",
  request: { params: IdParam },
  responses: {
    202: json(StoryboardStarted, "The job is queued and the project is GENERATING"),
    ...errors(401, 404, 409, 422, 503),
  },
});

const progress = createRoute({
  method: "get",
  path: "/projects/{id}/progress",
  operationId: "getStoryboardProgress",
  tags: ["storyboards"],
  summary: "Progress of the project's newest storyboard job (also the WebSocket snapshot)",
  request: { params: IdParam },
  responses: { 200: json(StoryboardProgress, "Where the newest job is"), ...errors(401, 404) },
});

const storyboard = createRoute({
  method: "get",
  path: "/projects/{id}/storyboard",
  operationId: "getStoryboard",
  tags: ["storyboards"],
  summary: "The stored storyboard with every scene's manifest and audio manifest",
  request: { params: IdParam },
  responses: { 200: json(Storyboard, "The storyboard"), ...errors(401, 404) },
});

/** A shot-list download: its media type, and the attachment header that names the file. */
function shotListFile(type: string, description: string) {
  return {
    description,
    headers: {
      "Content-Disposition": {
        description: "`attachment`, with a file name made from the project's title",
        schema: { type: "string", example: 'attachment; filename="night-walk-shot-list.csv"' },
      },
    },
    content: { [type]: { schema: z.string() } },
  } as const;
}

const NO_STORYBOARD =
  "404 `storyboard_not_found` when the project has no stored storyboard: generate one first.";

const shotListCsv = createRoute({
  method: "get",
  path: "/projects/{id}/storyboard.csv",
  operationId: "getShotListCsv",
  tags: ["storyboards"],
  summary: "The storyboard as a CSV shot list, one row per scene",
  description: "RFC 4180 (CRLF, quoted fields), UTF-8 with a byte-order mark so spreadsheets " +
    "read it as UTF-8. Columns: Scene (1-based), Description, Shot type, Camera movement, " +
    "Placements, Dialogue, SFX, Music; list cells hold one entry per line. " + NO_STORYBOARD,
  request: { params: IdParam },
  responses: {
    200: shotListFile("text/csv", "The shot list as CSV"),
    ...errors(401, 404),
  },
});

const shotListMarkdown = createRoute({
  method: "get",
  path: "/projects/{id}/storyboard.md",
  operationId: "getShotListMarkdown",
  tags: ["storyboards"],
  summary: "The storyboard as a Markdown shot list: a table with one row per scene",
  description: "The same columns as the CSV. " + NO_STORYBOARD,
  request: { params: IdParam },
  responses: {
    200: shotListFile("text/markdown", "The shot list as Markdown"),
    ...errors(401, 404),
  },
});

const scenes = createRoute({
  method: "get",
  path: "/projects/{id}/scenes",
  operationId: "listScenes",
  tags: ["storyboards"],
  summary: "The storyboard's scenes with their tags, shot and sound, filtered (filters AND)",
  description: "e.g. `?asset_tag=CHAR_01&has_dialogue=true`. " + NO_STORYBOARD,
  request: { params: IdParam, query: SceneListQuery },
  responses: { 200: json(SceneList, "The scenes that match"), ...errors(401, 404, 422) },
});

const sceneManifest = createRoute({
  method: "get",
  path: "/projects/{id}/scenes/{index}/manifest",
  operationId: "getSceneManifest",
  tags: ["storyboards"],
  summary: "One scene's manifest: placements, composition, new assets, and its columns",
  request: { params: SceneParams },
  responses: { 200: json(SceneManifest, "The scene's manifest"), ...errors(401, 404, 422) },
});

const sceneAudio = createRoute({
  method: "get",
  path: "/projects/{id}/scenes/{index}/audio",
  operationId: "getSceneAudio",
  tags: ["storyboards"],
  summary: "One scene's audio manifest: dialogue, SFX, ambience, music, and its columns",
  request: { params: SceneParams },
  responses: { 200: json(SceneAudio, "The scene's audio manifest"), ...errors(401, 404, 422) },
});

/**
 * `/projects…`: create, list, read, delete; generate and read the storyboard, list and
 * filter its scenes, download it as a shot list; and the registry block of a manifest, as
 * the storyboard LLM reads it.
 */
export function projectRoutes(deps: StoryboardDeps): RouteGroup {
  const app = routeGroup();

  app.openapi(create, async (c) => {
    const row = await createProject(deps.db, c.req.valid("json"));
    return c.json(await projectToJson(deps.db, row), 201);
  });

  app.openapi(list, async (c) => {
    const rows = await listProjects(deps.db, c.req.valid("query").manifest_id);
    const items = await Promise.all(rows.map((row) => projectToJson(deps.db, row)));
    return c.json({ items, total: items.length }, 200);
  });

  app.openapi(read, async (c) => {
    const project = await getProject(deps.db, c.req.valid("param").id);
    return c.json(await projectToJson(deps.db, project), 200);
  });

  app.openapi(update, async (c) => {
    const row = await updateProject(deps.db, c.req.valid("param").id, c.req.valid("json"));
    return c.json(await projectToJson(deps.db, row), 200);
  });

  app.openapi(remove, async (c) => {
    await deleteProject(deps.db, c.req.valid("param").id);
    return c.body(null, 204);
  });

  app.openapi(registry, async (c) => {
    return c.text(renderRegistryBlock(await loadRegistry(deps.db, c.req.valid("param").id)), 200);
  });

  app.openapi(generate, async (c) => {
    const job = await startStoryboard(deps, c.req.valid("param").id);
    return c.json({ job_id: job.id, status: "started" as const }, 202);
  });

  app.openapi(progress, async (c) => {
    const view = await storyboardProgress(deps.db, c.req.valid("param").id);
    return c.json(view, 200);
  });

  app.openapi(storyboard, async (c) => {
    const project = await getProject(deps.db, c.req.valid("param").id);
    return c.json(await readStoryboard(deps.db, project), 200);
  });

  app.openapi(shotListCsv, async (c) => {
    const project = await getProject(deps.db, c.req.valid("param").id);
    const rows = shotListRows((await readStoryboard(deps.db, project)).scenes);
    return c.body(renderShotListCsv(rows), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${shotListFilename(project.title, "csv")}"`,
    });
  });

  app.openapi(shotListMarkdown, async (c) => {
    const project = await getProject(deps.db, c.req.valid("param").id);
    const rows = shotListRows((await readStoryboard(deps.db, project)).scenes);
    return c.body(renderShotListMarkdown(project.title, rows), 200, {
      "Content-Type": "text/markdown; charset=utf-8",
      "Content-Disposition": `attachment; filename="${shotListFilename(project.title, "md")}"`,
    });
  });

  app.openapi(scenes, async (c) => {
    const project = await getProject(deps.db, c.req.valid("param").id);
    const items = await listScenes(deps.db, project, c.req.valid("query"));
    return c.json({ items, total: items.length }, 200);
  });

  app.openapi(sceneManifest, async (c) => {
    const { id, index } = c.req.valid("param");
    const project = await getProject(deps.db, id);
    return c.json(await readSceneManifest(deps.db, project.id, sceneIndex(index)), 200);
  });

  app.openapi(sceneAudio, async (c) => {
    const { id, index } = c.req.valid("param");
    const project = await getProject(deps.db, id);
    return c.json(await readSceneAudio(deps.db, project.id, sceneIndex(index)), 200);
  });

  return app;
}

/** A scene index from the path: a non-negative integer, or a 422 saying so. */
function sceneIndex(text: string): number {
  if (!/^\d{1,5}$/.test(text)) {
    throw invalid(
      "invalid_scene_index",
      `Scene index "${text.slice(0, 40)}" is not a number: scenes are numbered 0, 1, 2…`,
      { field: "index" },
    );
  }
  return Number(text);
}
