/**
 * Small DOM helpers shared by every view: an element builder (text only, never HTML, so API
 * data can never inject markup), badges, formatting, debouncing and toasts.
 *
 * @module
 */

/** Properties set as DOM properties rather than attributes (their attribute is only a default). */
const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "indeterminate"]);

/**
 * Builds an element. `props` keys: `class`, `dataset`, `style` (an object of CSS properties,
 * set through the CSSOM because the Content-Security-Policy refuses `style` attributes),
 * `on<event>` listeners, DOM properties (`value`, `checked`, `disabled` …) and any attribute;
 * null/false values are skipped.
 * Children may be nodes, strings, numbers, arrays or null.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = null, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") {
      for (const [name, css] of Object.entries(value)) el.style.setProperty(name, String(css));
    } else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (PROPERTIES.has(key)) {
      // A property by name (an input's value, an option's selected…): the caller knows its
      // element has it.
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = value;
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * Appends children (nested arrays flattened, null skipped, strings as text).
 * @param {Node} parent
 * @param {unknown[]} children
 */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...unknown} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const STATUS_TEXT = {
  DRAFT: "Draft",
  PROCESSING: "Processing",
  READY: "Ready",
  ERROR: "Error",
  GENERATING: "Generating",
};

/**
 * A status badge; the word is always written, colour only repeats it.
 * @param {string} status e.g. READY
 * @returns {HTMLElement}
 */
export function statusBadge(status) {
  const text = STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)] ?? status;
  return h("span", { class: `badge status-${String(status).toLowerCase()}` }, text);
}

/**
 * A quality badge `Q 7.4`, coloured by band; empty when there is no score yet.
 * @param {number | null} score 0–10
 * @returns {HTMLElement | null}
 */
export function qualityBadge(score) {
  if (score === null || score === undefined) return null;
  const band = score >= 7 ? "good" : score >= 4 ? "fair" : "poor";
  return h(
    "span",
    { class: `badge quality-${band}`, title: `Reference quality ${score} of 10` },
    `Q ${score.toFixed(1)}`,
  );
}

/**
 * `1:05` for 65 000 ms; hours when needed.
 * @param {number} ms
 * @returns {string}
 */
export function clock(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = String(total % 60).padStart(2, "0");
  const m = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours ? `${hours}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * `0.8 s`, `12 s`, `2 min 5 s`.
 * @param {number | null} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * `3 min ago` from an ISO timestamp.
 * @param {string} iso
 * @returns {string}
 */
export function ago(iso) {
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/**
 * `1.4 MB`.
 * @param {number} bytes
 * @returns {string}
 */
export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * `face_matching` → `Face matching`.
 * @param {string} name
 * @returns {string}
 */
export function humanize(name) {
  const text = String(name).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A debounced call with `flush` (run now if pending) and `cancel`.
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} wait milliseconds after the last call
 */
export function debounce(fn, wait) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {A | null} */
  let pending = null;
  const run = () => {
    timer = undefined;
    const args = pending;
    pending = null;
    if (args) fn(...args);
  };
  /** @param {A} args */
  const call = (...args) => {
    pending = args;
    clearTimeout(timer);
    timer = setTimeout(run, wait);
  };
  call.flush = () => {
    clearTimeout(timer);
    run();
  };
  call.cancel = () => {
    clearTimeout(timer);
    pending = null;
  };
  return call;
}

/**
 * Shows a short message in the toast area (a polite live region); errors stay longer.
 * @param {string} message
 * @param {"info" | "error"} [kind]
 */
export function toast(message, kind = "info") {
  const area = document.getElementById("toasts");
  if (!area) return;
  const item = h("div", { class: `toast ${kind}` }, message);
  area.appendChild(item);
  setTimeout(() => item.remove(), kind === "error" ? 10_000 : 4_000);
}

/**
 * Asks a yes/no question in the page's own modal dialog (window.confirm blocks the page and
 * cannot be styled or labelled).
 * @param {string} text
 * @param {string} [action] label of the confirming button
 * @returns {Promise<boolean>}
 */
export function confirmDialog(text, action = "Delete") {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("confirm-dialog"));
  /** @type {HTMLElement} */ (dialog.querySelector("#confirm-text")).textContent = text;
  /** @type {HTMLElement} */ (dialog.querySelector("#confirm-ok")).textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/**
 * The words to show for any failure (an ApiError's message is the API's own sentence).
 * @param {unknown} error
 * @returns {string}
 */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
