/**
 * The five steps of a manifest job and its counters, as the dashboard names them (the wire
 * names come from src/pipeline/progress.ts).
 *
 * @module
 */

import { plural, TOKENS_COUNTER } from "./counters.js";

/** @typedef {Record<string, number>} C */

/**
 * `3 / 5`, or just `3` while the total is not known yet.
 * @param {number | undefined} done
 * @param {number | undefined} total
 */
const of = (done, total) => (total ? `${done ?? 0} / ${total}` : String(done ?? 0));

/** Steps in order, with what their bars measure. */
export const MANIFEST_STEPS = [
  {
    name: "contact_sheet",
    label: "Contact sheet",
    detail: () => "Numbered sheet of the uploads",
  },
  {
    name: "yolo_detection",
    label: "Detection",
    detail: (/** @type {C} */ c) =>
      `${of(c.uploads_processed, c.uploads_total)} photos · ${plural(c.crops_total ?? 0, "crop")}`,
    fraction: (/** @type {C} */ c) => ({ value: c.uploads_processed ?? 0, max: c.uploads_total }),
  },
  {
    name: "face_matching",
    label: "Face matching",
    detail: (/** @type {C} */ c) =>
      `${plural(c.faces_embedded ?? 0, "face")} · ${plural(c.identities ?? 0, "person", "people")}`,
  },
  {
    name: "reverse_prompting",
    label: "Reverse prompting",
    detail: (/** @type {C} */ c) =>
      `${of(c.prompts_done, c.prompts_total)} assets described` +
      (c.prompt_errors ? ` · ${plural(c.prompt_errors, "error")}` : ""),
    fraction: (/** @type {C} */ c) => ({ value: c.prompts_done ?? 0, max: c.prompts_total }),
  },
  {
    name: "finalizing",
    label: "Finalizing",
    detail: () => "Tags, final contact sheet",
  },
];

/** Counters shown under the steps. */
export const MANIFEST_COUNTERS = [
  {
    key: "uploads",
    label: "Photos analysed",
    text: (/** @type {C} */ c) => of(c.uploads_processed, c.uploads_total),
  },
  {
    key: "crops",
    label: "Crops described",
    text: (/** @type {C} */ c) => of(c.crops_reverse_prompted, c.crops_total),
  },
  {
    key: "identities",
    label: "People",
    text: (/** @type {C} */ c) => String(c.identities ?? 0),
  },
  {
    key: "face_merges",
    label: "Face merges",
    text: (/** @type {C} */ c) => String(c.face_merges ?? 0),
  },
  {
    key: "prompt_errors",
    label: "Prompt errors",
    text: (/** @type {C} */ c) => String(c.prompt_errors ?? 0),
    show: (/** @type {C} */ c) => (c.prompt_errors ?? 0) > 0,
  },
  TOKENS_COUNTER,
];
