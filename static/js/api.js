/**
 * The HTTP API client: JSON requests and per-file uploads with progress. Every failure becomes
 * an {@link ApiError} carrying the API's own sentence, so views can show it as it is.
 *
 * @module
 */
import { currentToken, requestToken } from "./auth.js";

// The payloads the dashboard reads, as src/api/schemas.ts and src/api/project_schemas.ts
// define them. Vocabularies the page loads from /openapi.json at run time (asset types,
// categories) stay `string` here.

/** @typedef {"DRAFT" | "PROCESSING" | "READY" | "ERROR"} ManifestStatus */
/** @typedef {"DRAFT" | "GENERATING" | "READY" | "ERROR"} ProjectStatus */
/** @typedef {{ input_tokens: number, output_tokens: number }} TokenUsage */

/**
 * A page of a list (`items`, and `total` over every page).
 * @template T
 * @typedef {{ items: T[], total: number }} Page
 */

/**
 * A manifest, as the list, creating and editing return it.
 * @typedef {object} Manifest
 * @property {string} id
 * @property {string} name
 * @property {string | null} description
 * @property {string} category
 * @property {string[]} tags
 * @property {ManifestStatus} status
 * @property {string | null} contact_sheet_url page 1 of the contact sheet
 * @property {string | null} contact_sheet_error why the last run could not draw the sheet
 * @property {number} asset_count
 * @property {string | null} error
 * @property {number} version incremented on every content change
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * An asset: an upload, or a crop cut from one.
 * @typedef {object} Asset
 * @property {string} id
 * @property {string} manifest_id
 * @property {string} asset_type
 * @property {string} name
 * @property {string | null} manifest_tag e.g. CHAR_01; null until processing gives one
 * @property {string[]} user_tags
 * @property {string | null} description
 * @property {"uploaded" | "extracted"} source
 * @property {string | null} source_asset_id the upload (or person crop) it was cut from
 * @property {"person" | "face" | "object" | null} extraction_role
 * @property {number} sort_order
 * @property {string | null} mime
 * @property {number | null} width
 * @property {number | null} height
 * @property {string | null} reference_image_url
 * @property {string | null} thumbnail_url
 * @property {string | null} reverse_prompt
 * @property {string | null} visual_description
 * @property {number | null} quality_score 0–10
 * @property {string | null} suggested_name
 * @property {string | null} provider which reverse-prompt provider described it
 * @property {string | null} detection_class
 * @property {number | null} detection_confidence
 * @property {number[] | null} crop_bbox `[x1, y1, x2, y2]` in the parent upload's pixels
 * @property {boolean} is_face_crop
 * @property {string | null} identity_id
 * @property {boolean} has_face_embedding
 * @property {string | null} detected_at
 * @property {string | null} embedded_at
 * @property {string | null} prompted_at
 * @property {string | null} prompt_error
 * @property {TokenUsage | null} token_usage
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * One person recognised across photos.
 * @typedef {object} Identity
 * @property {string} id
 * @property {string} manifest_id
 * @property {string | null} primary_asset_id
 * @property {string | null} name
 * @property {number} member_count
 * @property {boolean} locked
 * @property {string} created_at
 */

/**
 * A manifest with everything in it (`GET /manifests/{id}`).
 * @typedef {Manifest & { assets: Asset[], identities: Identity[], token_usage: TokenUsage }}
 *   ManifestDetail
 */

/**
 * A project (`GET /projects/{id}`).
 * @typedef {object} Project
 * @property {string} id
 * @property {string} title
 * @property {string} prompt the script
 * @property {string | null} style
 * @property {string} aspect_ratio
 * @property {number} target_scene_count
 * @property {string | null} manifest_id
 * @property {number | null} manifest_version the manifest's version the storyboard was built on
 * @property {ProjectStatus} status
 * @property {import("./storyboard.js").StyleGuide | null} style_guide
 * @property {string | null} error
 * @property {number} scene_count scenes of the stored storyboard
 * @property {string | null} job_id
 * @property {string} created_at
 * @property {string} updated_at
 */

/**
 * A job that was queued (`POST …/process`, `POST …/storyboard`).
 * @typedef {{ job_id: string }} JobStarted
 */

/**
 * One page of a manifest's contact sheet; cells are numbered across pages.
 * @typedef {{ page: number, url: string, first_cell: number, last_cell: number }} ContactSheetPage
 */

/**
 * A reprocess that waits for a worker (202).
 * @typedef {{ job_id: string, status: "queued" | "running" }} ReprocessQueued
 */

/**
 * `GET /readyz`, as far as the page reads it.
 * @typedef {{ storyboard_writer: string | null }} Readiness
 */

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
    /** @type {{ error?: { code?: string, message?: string, details?: unknown } } | null} */
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
 * retries with it. The answer's shape depends on the path, so each caller casts it to the
 * payload it asked for. `body` is sent as JSON, or as multipart when it is a FormData.
 * @param {string} path e.g. `/manifests`
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<unknown>}
 */
export async function api(path, options = {}) {
  const { method = "GET", body, signal } = options;
  while (true) {
    const token = currentToken();
    /** @type {Record<string, string>} */
    const headers = {};
    // A FormData body sets its own multipart type, boundary included.
    const form = body instanceof FormData;
    if (body !== undefined && !form) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(`/api${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : form ? body : JSON.stringify(body),
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
 * @returns {Promise<Asset[]>} the assets created
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
 * @returns {Promise<Asset[]>}
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
          /** @type {{ items?: Asset[] }} */
          const created = JSON.parse(xhr.responseText);
          resolve(created.items ?? []);
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
