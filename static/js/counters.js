/**
 * Pieces the manifest and storyboard step tables share: plural wording and the token counter
 * (both jobs report `input_tokens` / `output_tokens`).
 *
 * @module
 */

/** @typedef {Record<string, number>} C */

/**
 * `1 photo`, `3 photos`.
 * @param {number} n @param {string} one @param {string} [many]
 */
export const plural = (n, one, many = `${one}s`) => `${n ?? 0} ${n === 1 ? one : many}`;

/** Tokens a job sent to and received from the remote LLM; hidden while there are none. */
export const TOKENS_COUNTER = {
  key: "tokens",
  label: "Tokens in / out",
  text: (/** @type {C} */ c) => `${c.input_tokens ?? 0} / ${c.output_tokens ?? 0}`,
  show: (/** @type {C} */ c) => (c.input_tokens ?? 0) + (c.output_tokens ?? 0) > 0,
};
