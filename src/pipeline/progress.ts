/**
 * A manifest job's progress: its five steps, its counters, and the progress view of a
 * manifest (what `GET /manifests/{id}/progress` returns and `manifest:{id}` subscribers get
 * first).
 *
 * @module
 */
import type { Db } from "../db/database.ts";
import type { ManifestStatus } from "../db/vocabulary.ts";
import { latestJobFor } from "../jobs/job_store.ts";
import { parseProgressOf, type ProgressReporter, type StoredProgress } from "../jobs/progress.ts";
import { type ProgressSnapshot, progressSnapshot } from "../jobs/progress_snapshot.ts";
import { getManifest } from "../registry/manifests.ts";

/** The steps of a manifest job, in order, with their names on the wire. */
export const STEPS = [
  "contact_sheet",
  "yolo_detection",
  "face_matching",
  "reverse_prompting",
  "finalizing",
] as const;

/** One of {@linkcode STEPS}. */
export type Step = (typeof STEPS)[number];

/** The counters of a manifest job: what it found and described, and what that cost. */
export type Counters = {
  uploads_total: number;
  uploads_processed: number;
  crops_total: number;
  crops_reverse_prompted: number;
  face_merges: number;
  faces_embedded: number;
  identities: number;
  prompts_total: number;
  prompts_done: number;
  prompt_errors: number;
  /** Tokens the remote provider reported for this job's prompts (0 for the local one). */
  input_tokens: number;
  output_tokens: number;
};

/** Counters at the start of a job. */
export function emptyCounters(): Counters {
  return {
    uploads_total: 0,
    uploads_processed: 0,
    crops_total: 0,
    crops_reverse_prompted: 0,
    face_merges: 0,
    faces_embedded: 0,
    identities: 0,
    prompts_total: 0,
    prompts_done: 0,
    prompt_errors: 0,
    input_tokens: 0,
    output_tokens: 0,
  };
}

/** The progress reporter of a manifest job. */
export type ManifestProgress = ProgressReporter<Step, Counters>;

/** The stored progress of a manifest job row. */
export function parseStoredProgress(json: string | null): StoredProgress<Step, Counters> {
  return parseProgressOf(json, STEPS, emptyCounters);
}

/** What `GET /manifests/{id}/progress` returns and the WebSocket `snapshot` carries. */
export type ProgressView = ProgressSnapshot<Step, Counters, { manifest_status: ManifestStatus }>;

/** The progress of a manifest's newest job (`not_started` when it never had one). */
export async function manifestProgress(db: Db, manifestId: string): Promise<ProgressView> {
  const manifest = await getManifest(db, manifestId);
  // Manifest jobs are serialised on their manifest, so its id is their key.
  const job = await latestJobFor(db, manifestId);
  return progressSnapshot(
    job,
    parseStoredProgress(job?.progress ?? null),
    { manifest_status: manifest.status },
    manifest.status === "ERROR" ? manifest.error : null,
  );
}
