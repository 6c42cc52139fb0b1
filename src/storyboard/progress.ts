/**
 * A storyboard job's progress: its steps, its counters, and the progress view of a project
 * (what `GET /projects/{id}/progress` returns and `project:{id}` subscribers get first).
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { ProjectStatus } from "../db/vocabulary.ts";
import { latestJobFor } from "../jobs/job_store.ts";
import { parseProgressOf, type ProgressReporter, type StoredProgress } from "../jobs/progress.ts";
import { type ProgressSnapshot, progressSnapshot } from "../jobs/progress_snapshot.ts";
import { getProject } from "./projects.ts";

/** The steps of a storyboard job, in order. */
export const STORYBOARD_STEPS = ["registry", "writing", "validating", "saving"] as const;

/** One of {@linkcode STORYBOARD_STEPS}. */
export type StoryboardStep = (typeof STORYBOARD_STEPS)[number];

/** The counters of a storyboard job. */
export type StoryboardCounters = {
  registry_entries: number;
  scenes_target: number;
  scenes_written: number;
  llm_calls: number;
  repair_rounds: number;
  aliases_mapped: number;
  indices_fixed: number;
  problems: number;
  input_tokens: number;
  output_tokens: number;
};

/** Counters at the start of a storyboard job. */
export function emptyStoryboardCounters(): StoryboardCounters {
  return {
    registry_entries: 0,
    scenes_target: 0,
    scenes_written: 0,
    llm_calls: 0,
    repair_rounds: 0,
    aliases_mapped: 0,
    indices_fixed: 0,
    problems: 0,
    input_tokens: 0,
    output_tokens: 0,
  };
}

/** The progress reporter of a storyboard job. */
export type StoryboardProgress = ProgressReporter<StoryboardStep, StoryboardCounters>;

/** The stored progress of a storyboard job row. */
export function storedProgress(
  json: string | null | undefined,
): StoredProgress<StoryboardStep, StoryboardCounters> {
  return parseProgressOf(json ?? null, STORYBOARD_STEPS, emptyStoryboardCounters);
}

/** What `GET /projects/{id}/progress` returns and the WebSocket `snapshot` carries. */
export type StoryboardProgressView = ProgressSnapshot<
  StoryboardStep,
  StoryboardCounters,
  { project_status: ProjectStatus }
>;

/** The progress of a project's newest storyboard job (`not_started` when it never had one). */
export async function storyboardProgress(
  db: Db,
  projectId: string,
): Promise<StoryboardProgressView> {
  const project = await getProject(db, projectId);
  // Storyboard jobs are serialised on their project, so its id is their key.
  const job = await latestJobFor(db, projectId);
  return progressSnapshot(
    job,
    storedProgress(job?.progress),
    { project_status: project.status },
    project.error,
  );
}
