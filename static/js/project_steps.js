/**
 * The four steps of a storyboard job and its counters, as the dashboard names them (the wire
 * names come from src/storyboard/generate.ts).
 *
 * @module
 */

import { plural, TOKENS_COUNTER } from "./counters.js";

/** @typedef {Record<string, number>} C */

/** Steps in order, with what their bars measure. */
export const PROJECT_STEPS = [
  {
    name: "registry",
    label: "Registry block",
    detail: (/** @type {C} */ c) =>
      `${plural(c.registry_entries, "tagged entry", "tagged entries")}`,
  },
  {
    name: "writing",
    label: "Writing scenes",
    detail: (/** @type {C} */ c) =>
      `${c.scenes_written ?? 0} / ${c.scenes_target ?? "?"} scenes · ${
        plural(c.llm_calls, "LLM call")
      }`,
    fraction: (/** @type {C} */ c) => ({ value: c.scenes_written ?? 0, max: c.scenes_target }),
  },
  {
    name: "validating",
    label: "Checking tags",
    detail: (/** @type {C} */ c) =>
      `${plural(c.repair_rounds, "repair round")} · ${
        plural(c.aliases_mapped, "alias", "aliases")
      } mapped`,
  },
  {
    name: "saving",
    label: "Saving",
    detail: () => "Scenes, scene manifests, audio manifests",
  },
];

/** Counters shown under the steps. */
export const PROJECT_COUNTERS = [
  {
    key: "scenes",
    label: "Scenes written",
    text: (/** @type {C} */ c) => `${c.scenes_written ?? 0} / ${c.scenes_target ?? 0}`,
  },
  { key: "llm_calls", label: "LLM calls", text: (/** @type {C} */ c) => String(c.llm_calls ?? 0) },
  {
    key: "repair_rounds",
    label: "Repair rounds",
    text: (/** @type {C} */ c) => String(c.repair_rounds ?? 0),
  },
  {
    key: "problems",
    label: "Problems",
    text: (/** @type {C} */ c) => String(c.problems ?? 0),
    show: (/** @type {C} */ c) => (c.problems ?? 0) > 0,
  },
  TOKENS_COUNTER,
];
