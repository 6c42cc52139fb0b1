/**
 * Projects and their manifest-aware storyboards.
 *
 * @module
 */
import { Hono } from "hono";
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
import { ProjectCreate, ProjectListQuery, ProjectUpdate } from "../project_schemas.ts";
import { validate } from "../validate.ts";

/**
 * `/projects…`: create, list, read, delete; generate and read the storyboard; and the
 * registry block of a manifest, as the storyboard LLM reads it.
 */
export function projectRoutes(deps: StoryboardDeps): Hono {
  const app = new Hono();

  app.post("/projects", validate("json", ProjectCreate), async (c) => {
    const row = await createProject(deps.db, c.req.valid("json"));
    return c.json(await projectToJson(deps.db, row), 201);
  });

  app.get("/projects", validate("query", ProjectListQuery), async (c) => {
    const rows = await listProjects(deps.db, c.req.valid("query").manifest_id);
    const items = await Promise.all(rows.map((row) => projectToJson(deps.db, row)));
    return c.json({ items, total: items.length });
  });

  app.get("/projects/:id", async (c) => {
    return c.json(await projectToJson(deps.db, await getProject(deps.db, c.req.param("id"))));
  });

  app.put("/projects/:id", validate("json", ProjectUpdate), async (c) => {
    const row = await updateProject(deps.db, c.req.param("id"), c.req.valid("json"));
    return c.json(await projectToJson(deps.db, row));
  });

  app.delete("/projects/:id", async (c) => {
    await deleteProject(deps.db, c.req.param("id"));
    return c.body(null, 204);
  });

  app.get("/manifests/:id/registry", async (c) => {
    return c.text(renderRegistryBlock(await loadRegistry(deps.db, c.req.param("id"))));
  });

  app.post("/projects/:id/storyboard", async (c) => {
    const job = await startStoryboard(deps, c.req.param("id"));
    return c.json({ job_id: job.id, status: "started" as const }, 202);
  });

  app.get("/projects/:id/progress", async (c) => {
    return c.json(await storyboardProgress(deps.db, c.req.param("id")));
  });

  app.get("/projects/:id/storyboard", async (c) => {
    const project = await getProject(deps.db, c.req.param("id"));
    return c.json(await readStoryboard(deps.db, project));
  });

  app.get("/projects/:id/scenes/:index/manifest", async (c) => {
    const project = await getProject(deps.db, c.req.param("id"));
    return c.json(await readSceneManifest(deps.db, project.id, sceneIndex(c.req.param("index"))));
  });

  app.get("/projects/:id/scenes/:index/audio", async (c) => {
    const project = await getProject(deps.db, c.req.param("id"));
    return c.json(await readSceneAudio(deps.db, project.id, sceneIndex(c.req.param("index"))));
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
