/**
 * Adding photos to a manifest: drag-and-drop or a file picker, one request per file with its
 * own progress bar, and the API's refusal (duplicate, not an image, too large) shown next to
 * the file it concerns while the others go on.
 *
 * @module
 */
import { uploadFile } from "./api.js";
import { errorText, fileSize, h } from "./dom.js";

/** @typedef {import("./api.js").Asset} Asset */

/**
 * Builds the upload panel.
 * @param {{ manifestId: string, onUploaded: (assets: Asset[]) => void }} options
 * @returns {{ element: HTMLElement, setLocked: (reason: string | null) => void }}
 */
export function createUploader({ manifestId, onUploaded }) {
  const input = /** @type {HTMLInputElement} */ (h("input", {
    id: "file-input",
    type: "file",
    multiple: true,
    accept: "image/jpeg,image/png,image/webp",
    class: "sr-only",
  }));
  const list = h("ul", { class: "upload-list", "aria-label": "Uploads" });
  const summary = h("p", { class: "muted small", role: "status" });
  const lockNote = h("p", { class: "note", hidden: true });
  /** @type {{ file: File, row: ReturnType<typeof fileRow> }[]} */
  const queue = [];
  let running = false;
  let locked = false;
  const counts = { done: 0, failed: 0 };

  const zone = h(
    "div",
    { class: "dropzone" },
    h("p", null, "Drop JPEG, PNG or WebP photos here, or"),
    input,
    h("label", { for: "file-input", class: "button primary" }, "Choose images"),
    h("p", { class: "muted small" }, "Each file is sent on its own; you can add more at any time."),
  );
  zone.addEventListener("dragover", (event) => {
    event.preventDefault(); // Without this the browser opens the dropped file instead.
    if (!locked) zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (!locked) add([...(event.dataTransfer?.files ?? [])]);
  });
  input.addEventListener("change", () => {
    add([...(input.files ?? [])]);
    input.value = ""; // So choosing the same file again still fires change.
  });

  /** @param {File[]} files */
  function add(files) {
    for (const file of files) {
      const row = fileRow(file);
      list.appendChild(row.element);
      queue.push({ file, row });
    }
    void pump();
  }

  // One file at a time: uploads keep the order they were chosen in (it decides the tags'
  // numbering), and the server decodes each image while the next one is sent.
  async function pump() {
    if (running) return;
    running = true;
    while (queue.length > 0) {
      const { file, row } = /** @type {(typeof queue)[number]} */ (queue.shift());
      row.uploading();
      try {
        const assets = await uploadFile(manifestId, file, row.progress);
        row.done(assets);
        counts.done++;
        onUploaded(assets);
      } catch (error) {
        row.failed(errorText(error));
        counts.failed++;
      }
      summary.textContent = `${counts.done} uploaded` +
        (counts.failed ? `, ${counts.failed} refused` : "") +
        (queue.length ? `, ${queue.length} waiting` : "");
    }
    running = false;
  }

  return {
    element: h(
      "section",
      { class: "panel uploader", "aria-labelledby": "upload-title" },
      h("h2", { id: "upload-title" }, "Add photos"),
      zone,
      lockNote,
      summary,
      list,
    ),
    setLocked(reason) {
      locked = reason !== null;
      input.disabled = locked;
      zone.classList.toggle("locked", locked);
      lockNote.hidden = !locked;
      lockNote.textContent = reason ?? "";
    },
  };
}

/**
 * One file's row: name, size, bar and outcome.
 * @param {File} file
 */
function fileRow(file) {
  const bar = /** @type {HTMLProgressElement} */ (h("progress", {
    max: "1",
    value: "0",
    "aria-label": `Upload of ${file.name}`,
  }));
  const status = h("span", { class: "upload-status" }, "Waiting");
  const element = h(
    "li",
    { class: "upload-row", dataset: { file: file.name, state: "waiting" } },
    h("span", { class: "upload-name" }, file.name),
    h("span", { class: "muted small" }, fileSize(file.size)),
    bar,
    status,
  );
  return {
    element,
    uploading() {
      element.dataset.state = "uploading";
      status.textContent = "Uploading 0%";
    },
    /** @param {number} fraction */
    progress(fraction) {
      bar.value = fraction;
      // The server still decodes the image after the last byte: say so rather than sit at 100%.
      status.textContent = fraction < 1
        ? `Uploading ${Math.round(fraction * 100)}%`
        : "Checking the image…";
    },
    /** @param {Asset[]} assets */
    done(assets) {
      element.dataset.state = "done";
      bar.value = 1;
      status.textContent = `Uploaded as “${assets[0]?.name ?? file.name}”`;
    },
    /** @param {string} message */
    failed(message) {
      element.dataset.state = "failed";
      bar.remove();
      status.className = "upload-status error-text";
      status.textContent = message;
    },
  };
}
