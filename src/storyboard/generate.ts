/**
 * The storyboard job: build the manifest's registry, ask the writer for a storyboard whose
 * every tag field is constrained to the registry's tags, validate it, give the writer one
 * repair round-trip naming exactly what was wrong, and store the result in one transaction
 * — or fail with the list of wrong tags, leaving any previous storyboard as it was. It is
 * serialised on, and reports on, its project (`project:{id}`).
 *
 * @module
 */
import { z } from "zod";
import type { Db } from "../db/database.ts";
import type { JobRow } from "../db/tables.ts";
import { PROJECT_STATUSES } from "../db/vocabulary.ts";
import type { EventHub } from "../events/event_hub.ts";
import { AppError, conflict, invalid } from "../errors.ts";
import { type JobControl, JobInterruptedError } from "../jobs/job_control.ts";
import type { Job, JobDefinition, JobOutcome, JobServices } from "../jobs/job_definition.ts";
import type { JobRunner } from "../jobs/job_runner.ts";
import { enqueueJob, finishJob } from "../jobs/job_store.ts";
import { responseJsonSchema } from "../llm/json_schema.ts";
import { now } from "../db/timestamp.ts";
import { getManifest } from "../registry/manifests.ts";
import { loadRegistry } from "./load_registry.ts";
import {
  emptyStoryboardCounters,
  STORYBOARD_STEPS,
  type StoryboardCounters,
  type StoryboardProgress,
  storyboardProgress,
  type StoryboardStep,
} from "./progress.ts";
import { assertNotGenerating, getProject, type ProjectRow } from "./projects.ts";
import { repairPrompt, storyboardPrompt } from "./prompt.ts";
import { type Registry, renderRegistryBlock } from "./registry.ts";
import { storyboardOutputSchemaFor } from "./schemas.ts";
import { saveStoryboard } from "./storage.ts";
import { describeProblems, unknownTags, validateStoryboard, type Validation } from "./validate.ts";
import type { StoryboardTurn, StoryboardWriter, WrittenStoryboard } from "./writer.ts";

/** What storyboard generation needs. */
export interface StoryboardDeps {
  readonly db: Db;
  readonly hub: EventHub;
  readonly runner: JobRunner;
  /** Null when no LLM is configured: generation answers 503. */
  readonly writer: StoryboardWriter | null;
}

/** What a storyboard job's run needs. */
export interface StoryboardJobDeps extends JobServices {
  /** Null when no LLM is configured: a job queued before a restart without one fails. */
  readonly writer: StoryboardWriter | null;
}

/** The params of a storyboard job: its project, and the status to return to on cancel. */
export const StoryboardJobParams = z.object({
  project_id: z.string(),
  // GENERATING is never one to return to; a row without one returns to DRAFT.
  previous_status: z.enum(PROJECT_STATUSES).catch("DRAFT"),
});

/** What a storyboard job's params hold. */
export type StoryboardJobParams = z.infer<typeof StoryboardJobParams>;

/** The storyboard was still invalid after the repair round-trip. */
export class StoryboardRejectedError extends Error {
  override name = "StoryboardRejectedError";
}

/**
 * Queues a storyboard job and marks the project GENERATING in one transaction, after the
 * checks a person can act on: an LLM configured (503), a manifest that is READY (409) and
 * has tagged assets (422), no other generation running (409).
 */
export async function startStoryboard(deps: StoryboardDeps, projectId: string): Promise<JobRow> {
  const job = await deps.db.transaction().execute(async (trx) => {
    const project = await getProject(trx, projectId);
    if (!deps.writer) {
      throw new AppError(
        "not_configured",
        "Storyboards are written by Gemini, and none is configured: set GEMINI_API_KEY " +
          "(and GEMINI_MODEL if needed) and restart the service.",
        { code: "llm_not_configured", details: { variable: "GEMINI_API_KEY" } },
      );
    }
    await assertNotGenerating(trx, project);
    if (!project.manifest_id) {
      throw invalid(
        "project_has_no_manifest",
        `Project ${projectId} has no manifest: create a project with a manifest_id to ground ` +
          "its storyboard on tagged assets.",
      );
    }
    const manifest = await getManifest(trx, project.manifest_id);
    if (manifest.status !== "READY") {
      const todo = manifest.status === "PROCESSING"
        ? "wait for processing to finish"
        : `process it with POST /api/manifests/${manifest.id}/process`;
      throw conflict(
        "manifest_not_ready",
        `Manifest ${manifest.id} is ${manifest.status}, not READY: ${todo}, then generate the ` +
          "storyboard.",
        { manifest_id: manifest.id, status: manifest.status },
      );
    }
    const registry = await loadRegistry(trx, manifest.id);
    if (registry.entries.length === 0) {
      throw invalid(
        "manifest_has_no_tags",
        `Manifest ${manifest.id} has no tagged asset for a storyboard to use: upload and ` +
          "process photos first.",
      );
    }
    await trx.updateTable("projects").set({ status: "GENERATING", error: null, updated_at: now() })
      .where("id", "=", projectId).execute();
    return await enqueueJob(trx, storyboardJob, {
      targetId: projectId,
      params: { project_id: projectId, previous_status: project.status },
    });
  });
  deps.runner.wake();
  return job;
}

/** Writes, checks and stores the project's storyboard, then ends the job. */
async function runStoryboardJob(
  job: Job<StoryboardJobParams>,
  control: JobControl,
  progress: StoryboardProgress,
  deps: StoryboardJobDeps,
): Promise<JobOutcome> {
  const writer = deps.writer;
  if (!writer) throw new Error("No LLM is configured: set GEMINI_API_KEY and restart.");
  const project = await getProject(deps.db, job.params.project_id);
  const step = async <T>(name: StoryboardStep, work: () => Promise<T>): Promise<T> => {
    await control.checkpoint();
    await progress.stepStarted(name);
    const result = await work();
    await progress.stepFinished(name);
    return result;
  };
  const { registry, manifestVersion } = await step(
    "registry",
    () => readyRegistry(deps.db, project),
  );
  progress.update({
    registry_entries: registry.entries.length,
    scenes_target: project.target_scene_count,
  });
  const jsonSchema = responseJsonSchema(storyboardOutputSchemaFor(registry.primaryTags, {
    allowCharacterDeclarations: !registry.hasCharacters,
  }));
  const turns: StoryboardTurn[] = [{
    role: "user",
    text: storyboardPrompt(project, registry, renderRegistryBlock(registry)),
  }];
  const ask = async (): Promise<WrittenStoryboard> => {
    const answer = await writer.write(turns, jsonSchema, control.signal);
    progress.update({
      llm_calls: progress.counters.llm_calls + 1,
      input_tokens: progress.counters.input_tokens + answer.usage.inputTokens,
      output_tokens: progress.counters.output_tokens + answer.usage.outputTokens,
      scenes_written: answer.output.scenes.length,
    });
    return answer;
  };
  const first = await step("writing", ask);
  const validation = await step("validating", async () => {
    const checked = validateStoryboard(first.output, registry);
    count(progress, checked);
    if (checked.problems.length === 0) return checked;
    turns.push({ role: "model", text: first.text });
    turns.push({ role: "user", text: repairPrompt(checked.problems, registry) });
    progress.add("repair_rounds");
    const repaired = validateStoryboard((await ask()).output, registry);
    count(progress, repaired);
    if (repaired.problems.length > 0) throw rejected(repaired, registry);
    return repaired;
  });
  await step("saving", () =>
    deps.db.transaction().execute(async (trx) => {
      if (!await finishJob(trx, job, "succeeded", null)) {
        throw new JobInterruptedError(
          `Job ${job.id} was cancelled, or taken over after its lease expired.`,
        );
      }
      await saveStoryboard(trx, project.id, validation.storyboard, manifestVersion);
    }));
  return { error: null, totals: { scene_count: validation.storyboard.scenes.length } };
}

/** The registry of the project's manifest, which must still be READY when the job runs. */
async function readyRegistry(
  db: Db,
  project: ProjectRow,
): Promise<{ registry: Registry; manifestVersion: number }> {
  if (!project.manifest_id) throw new Error(`Project ${project.id} has no manifest.`);
  const manifest = await getManifest(db, project.manifest_id);
  if (manifest.status !== "READY") {
    throw new Error(
      `Manifest ${manifest.id} became ${manifest.status} before the storyboard was written: ` +
        "generate again once it is READY.",
    );
  }
  return { registry: await loadRegistry(db, manifest.id), manifestVersion: manifest.version };
}

function count(progress: StoryboardProgress, validation: Validation): void {
  progress.update({
    aliases_mapped: progress.counters.aliases_mapped + validation.aliasesMapped.length,
    indices_fixed: progress.counters.indices_fixed + validation.indicesFixed.length,
    problems: validation.problems.length,
  });
}

function rejected(validation: Validation, registry: Registry): StoryboardRejectedError {
  const unknown = unknownTags(validation.problems);
  const what = unknown.length > 0
    ? `tags that are not in the manifest: ${unknown.join(", ")}`
    : "declarations the manifest does not allow";
  return new StoryboardRejectedError(
    `The storyboard still used ${what}, after one repair round-trip. Problems: ` +
      `${describeProblems(validation.problems).join("; ")}. The manifest's tags are ` +
      `${registry.primaryTags.join(", ")}. Nothing was stored; adjust the script or the ` +
      "manifest and generate again.",
  );
}

/**
 * After a storyboard job failed: the project ends ERROR with the job's message — any
 * previous storyboard stays readable.
 */
async function markProjectFailed(
  db: Db,
  job: Job<StoryboardJobParams>,
  message: string,
): Promise<void> {
  await db.updateTable("projects").set({ status: "ERROR", error: message, updated_at: now() })
    .where("id", "=", job.params.project_id).where("status", "=", "GENERATING").execute();
}

/** The storyboard job kind's definition. */
export type StoryboardJobDefinition = JobDefinition<
  "storyboard",
  StoryboardJobParams,
  StoryboardStep,
  StoryboardCounters,
  StoryboardJobDeps
>;

/** Writes a project's storyboard: the job `POST /projects/{id}/storyboard` queues. */
export const storyboardJob: StoryboardJobDefinition = Object.freeze<StoryboardJobDefinition>({
  kind: "storyboard",
  subject: "project",
  params: StoryboardJobParams,
  serialKey: ({ params }) => params.project_id,
  steps: STORYBOARD_STEPS,
  emptyCounters: emptyStoryboardCounters,
  provider: (deps) => deps.writer?.name ?? null,
  manifestId: () => null,
  run: runStoryboardJob,
  onFailed: markProjectFailed,
  onExhausted: markProjectFailed,
  async onCancelled(trx, job) {
    const previous = job.params.previous_status;
    await trx.updateTable("projects").set({
      status: previous === "GENERATING" ? "DRAFT" : previous,
      updated_at: now(),
    }).where("id", "=", job.params.project_id).where("status", "=", "GENERATING").execute();
  },
  snapshot: storyboardProgress,
});
