/**
 * The HTTP API client: JSON requests and per-file uploads with progress. Every failure becomes
 * an {@link ApiError} carrying the API's own sentence, so views can show it as it is.
 *
 * @module
 */
import { currentToken, requestToken } from "./auth.js";

/** An API failure: HTTP status, the API's `error.code` and its message for a person. */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const UNREACHABLE = "Cannot reach the server: check that Manifest Studio is running, then retry.";

/**
 * The error of a failed response, from its JSON body when it has one.
 * @param {number} status
 * @param {string} statusText
 * @param {string} text the response body
 * @returns {ApiError}
 */
function errorFrom(status, statusText, text) {
  try {
    const body = JSON.parse(text);
    if (body?.error?.message) {
      return new ApiError(
        status,
        body.error.code ?? "error",
        body.error.message,
        body.error.details,
      );
    }
  } catch {
    // Not JSON (a proxy page, say): fall through to the status line.
  }
  return new ApiError(status, "http_error", `The server answered ${status} ${statusText}.`.trim());
}

/**
 * Calls `/api{path}` and returns the parsed JSON (null for 204). A 401 asks for the token and
 * retries with it.
 * @param {string} path e.g. `/manifests`
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const { method = "GET", body, signal } = options;
  while (true) {
    const token = currentToken();
    /** @type {Record<string, string>} */
    const headers = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (/** @type {Error} */ (error).name === "AbortError") throw error;
      throw new ApiError(0, "network", UNREACHABLE);
    }
    const text = await response.text();
    if (response.status === 401) {
      await requestToken(errorFrom(401, response.statusText, text).message, token);
      continue;
    }
    if (!response.ok) throw errorFrom(response.status, response.statusText, text);
    const json = response.headers.get("content-type")?.includes("json");
    return text && json ? JSON.parse(text) : text || null;
  }
}

/**
 * Uploads one file to a manifest (`POST /manifests/{id}/uploads`, field `file`) with
 * XMLHttpRequest, because fetch cannot report upload progress.
 * @param {string} manifestId
 * @param {File} file
 * @param {(fraction: number) => void} onProgress 0…1 of the bytes sent
 * @returns {Promise<any[]>} the assets created
 */
export async function uploadFile(manifestId, file, onProgress) {
  while (true) {
    const token = currentToken();
    try {
      return await sendFile(`/api/manifests/${manifestId}/uploads`, file, token, onProgress);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      await requestToken(error.message, token);
    }
  }
}

/**
 * @param {string} url
 * @param {File} file
 * @param {string | null} token
 * @param {(fraction: number) => void} onProgress
 * @returns {Promise<any[]>}
 */
function sendFile(url, file, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText).items ?? []);
        } catch {
          reject(new ApiError(xhr.status, "bad_response", "The server's answer was not JSON."));
        }
      } else reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
    });
    xhr.addEventListener("error", () => {
      // The server may cut a too-large body short before answering 413.
      reject(
        new ApiError(
          0,
          "network",
          "The upload was interrupted: the server is unreachable or the file is larger than " +
            "it accepts (MAX_UPLOAD_MB).",
        ),
      );
    });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}
