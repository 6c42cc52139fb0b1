/**
 * Saving while a person types: changes are gathered and sent once typing pauses (600 ms), not
 * once per keystroke; saves go out one after another so the last edit always wins.
 *
 * @module
 */
import { debounce, errorText } from "./dom.js";

/** Pause after the last keystroke before saving. */
export const SAVE_DELAY_MS = 600;

/**
 * An autosaver writing its state into `status` ("Saving…", "Saved", or the API's error).
 * @param {(patch: Record<string, unknown>) => Promise<unknown>} save sends one patch
 * @param {HTMLElement} status a small live region next to the fields
 * @returns {{ change: (field: string, value: unknown) => void, flush: () => void }}
 */
export function autosave(save, status) {
  /** @type {Record<string, unknown>} */
  let patch = {};
  let chain = Promise.resolve();
  const send = debounce(() => {
    const body = patch;
    patch = {};
    if (Object.keys(body).length === 0) return;
    status.textContent = "Saving…";
    status.className = "save-status muted small";
    chain = chain.then(() => save(body)).then(
      () => {
        if (Object.keys(patch).length > 0) return; // More edits are on their way.
        status.textContent = "Saved";
        status.className = "save-status ok small";
      },
      (error) => {
        status.textContent = `Not saved: ${errorText(error)}`;
        status.className = "save-status error-text small";
      },
    );
  }, SAVE_DELAY_MS);
  return {
    change(field, value) {
      patch[field] = value;
      status.textContent = "Editing…";
      status.className = "save-status muted small";
      send();
    },
    flush: () => send.flush(),
  };
}

/**
 * Splits a comma-separated tag field into clean, unique tags.
 * @param {string} text
 * @returns {string[]}
 */
export function parseTags(text) {
  return [...new Set(text.split(",").map((t) => t.trim()).filter(Boolean))];
}
