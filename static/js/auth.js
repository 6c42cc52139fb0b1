/**
 * The access token (AUTH_TOKEN): asked for once in the page's own dialog when the API answers
 * 401, kept in sessionStorage so it lives as long as the tab and no longer.
 *
 * @module
 */

const KEY = "manifest-studio.token";

/** @type {Promise<string> | null} */
let asking = null;

/**
 * The token entered in this tab, or null.
 * @returns {string | null}
 */
export function currentToken() {
  return sessionStorage.getItem(KEY);
}

/**
 * `url` with `?token=` when a token is known: images and the WebSocket cannot carry headers.
 * @param {string} url
 * @returns {string}
 */
export function withToken(url) {
  const token = currentToken();
  if (!token) return url;
  return `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

/**
 * Asks for the token and resolves with it once entered. Concurrent callers (several requests
 * answered 401 at once) share one dialog.
 * @param {string} [reason] the API's message, shown when a token was already tried
 * @param {string | null} [used] the token the refused request carried
 * @returns {Promise<string>}
 */
export function requestToken(reason, used = null) {
  const token = currentToken();
  // A request sent before the token was entered: retry with the new one, do not ask again.
  if (token !== null && token !== used) return Promise.resolve(token);
  const tried = token !== null;
  sessionStorage.removeItem(KEY);
  if (asking) return asking;
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("auth-dialog"));
  const form = /** @type {HTMLFormElement} */ (document.getElementById("auth-form"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("auth-token"));
  const error = /** @type {HTMLElement} */ (document.getElementById("auth-error"));
  error.hidden = !tried;
  error.textContent = tried ? (reason ?? "The access token was refused.") : "";
  input.value = "";
  asking = new Promise((resolve) => {
    // Nothing works without the token, so Escape must not leave the page half-locked.
    const keepOpen = (/** @type {Event} */ event) => event.preventDefault();
    dialog.addEventListener("cancel", keepOpen);
    form.addEventListener("submit", function onSubmit(event) {
      const token = input.value.trim();
      if (!token) {
        event.preventDefault();
        return;
      }
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("cancel", keepOpen);
      sessionStorage.setItem(KEY, token);
      asking = null;
      resolve(token);
    });
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return asking;
}
