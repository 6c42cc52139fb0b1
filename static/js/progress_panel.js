/**
 * A job's live progress: one row per step with a bar, the counters, the elapsed time and the
 * outcome. It is fed the frames of one topic (snapshot, step, progress, done) and keeps the
 * job's state from them; the snapshot always wins, so a late or reconnecting view is right.
 *
 * @module
 */
import { clock, duration, h, humanize, replace } from "./dom.js";

/**
 * @typedef {import("./live.js").StepState} StepState
 * @typedef {import("./live.js").JobStatus} JobStatus
 * @typedef {import("./live.js").Frame} Frame
 * @typedef {import("./live.js").StepFrame} StepFrame
 * @typedef {import("./live.js").ProgressFrame} ProgressFrame
 * @typedef {import("./live.js").DoneFrame} DoneFrame
 * @typedef {{ value: number, max: number } | null} Fraction
 * @typedef {{ name: string, label: string, detail?: (c: Record<string, number>) => string,
 *   fraction?: (c: Record<string, number>) => Fraction }} StepDef
 * @typedef {{ key: string, label: string, text: (c: Record<string, number>) => string,
 *   show?: (c: Record<string, number>) => boolean }} CounterDef
 * @typedef {object} JobState what the panel shows, kept from the topic's frames
 * @property {JobStatus} status
 * @property {string | null} job_id
 * @property {string | null} current_step
 * @property {Record<string, number>} progress the job's counters
 * @property {Record<string, StepState>} steps
 * @property {string | null} error
 * @property {string | null} started_at
 * @property {string | null} finished_at
 */

/** How the API's job statuses read. */
const STATUS_TEXT = {
  not_started: "Not processed yet",
  queued: "Queued: waiting for a free worker",
  processing: "Running",
  complete: "Complete",
  error: "Failed",
  cancelled: "Cancelled",
};

const ACTIVE = new Set(["queued", "processing"]);

/** A progress panel bound to its own state. */
export class ProgressPanel {
  /** Jobs whose end was seen. @type {Set<string>} */
  #ended = new Set();

  /**
   * @param {{ title: string, steps: StepDef[] | null, counters: CounterDef[] | null,
   *   idleText: string }} config
   *   `steps: null` shows whatever steps the frames name (for jobs whose steps are not known
   *   here); `counters: null` shows every numeric counter.
   */
  constructor(config) {
    this.config = config;
    this.element = h("section", { class: "panel progress-panel", "aria-labelledby": "pp-title" });
    /** @type {JobState} */
    this.state = this.#fresh(null, "not_started");
    this.timer = setInterval(() => this.#renderTime(), 1000);
  }

  /** Whether a job is queued or running. */
  get active() {
    return ACTIVE.has(this.state.status);
  }

  /** The job being shown, or null. */
  get jobId() {
    return this.state.job_id;
  }

  /** Stops the clock. */
  dispose() {
    clearInterval(this.timer);
  }

  /**
   * Shows a job that was just queued (before its first frame arrives).
   * @param {string} jobId
   */
  started(jobId) {
    if (this.state.job_id !== jobId) this.state = this.#fresh(jobId, "queued");
    this.render();
  }

  /**
   * Applies one frame of the topic.
   * @param {Frame} frame
   * @returns {boolean} whether the frame changed what is shown
   */
  apply(frame) {
    // A job stops at its next checkpoint, so a few of its frames may follow its `done`
    // (after a cancel): they must not bring it back to life.
    const late = frame.job_id && this.#ended.has(frame.job_id);
    switch (frame.type) {
      case "snapshot":
        this.state = {
          status: frame.status,
          job_id: frame.job_id ?? null,
          current_step: frame.current_step ?? null,
          progress: { ...frame.progress },
          steps: { ...this.#pendingSteps(), ...frame.steps },
          error: frame.error ?? null,
          started_at: frame.started_at ?? null,
          finished_at: frame.finished_at ?? null,
        };
        if (!ACTIVE.has(frame.status) && frame.job_id) this.#ended.add(frame.job_id);
        break;
      case "step":
        if (late) return false;
        this.#forJob(frame);
        this.state.steps[frame.step] = { state: frame.state, duration_ms: frame.duration_ms };
        if (frame.state === "started") this.state.current_step = frame.step;
        this.state.started_at ??= frame.ts;
        this.state.status = "processing";
        break;
      case "progress":
        if (late) return false;
        this.#forJob(frame);
        Object.assign(this.state.progress, frame.progress);
        this.state.current_step = frame.current_step ?? this.state.current_step;
        this.state.started_at ??= frame.ts;
        this.state.status = "processing";
        break;
      case "done":
        if (late) return false;
        this.#forJob(frame);
        this.#ended.add(frame.job_id);
        this.state.status = frame.status;
        this.state.error = frame.error ?? null;
        Object.assign(this.state.progress, frame.totals ?? {});
        this.state.finished_at = frame.ts;
        break;
      default:
        return false;
    }
    this.render();
    return true;
  }

  /**
   * Frames of a newer job than the one shown start a fresh state.
   * @param {StepFrame | ProgressFrame | DoneFrame} frame
   */
  #forJob(frame) {
    if (frame.job_id && frame.job_id !== this.state.job_id) {
      this.state = this.#fresh(frame.job_id, "queued");
    }
  }

  /**
   * The state of a job before its first frame.
   * @param {string | null} jobId @param {JobStatus} status
   * @returns {JobState}
   */
  #fresh(jobId, status) {
    return {
      status,
      job_id: jobId,
      current_step: null,
      progress: {},
      steps: this.#pendingSteps(),
      error: null,
      started_at: null,
      finished_at: null,
    };
  }

  /** @returns {Record<string, StepState>} */
  #pendingSteps() {
    return Object.fromEntries(
      (this.config.steps ?? []).map((s) => [
        s.name,
        /** @type {StepState} */ ({ state: "pending", duration_ms: null }),
      ]),
    );
  }

  /** Draws the whole panel from the state. */
  render() {
    const { state, config } = this;
    const names = config.steps?.map((s) => s.name) ?? Object.keys(state.steps);
    const defs = new Map((config.steps ?? []).map((s) => [s.name, s]));
    const stepIndex = names.indexOf(state.current_step ?? "");
    const headline = state.status === "processing" && stepIndex >= 0
      ? `Running step ${stepIndex + 1} of ${names.length}: ${
        defs.get(names[stepIndex])?.label ?? humanize(names[stepIndex])
      }`
      : STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (state.status)] ?? state.status;
    this.time = h("span", { class: "elapsed" });
    replace(
      this.element,
      h(
        "div",
        { class: "row between" },
        h("h2", { id: "pp-title" }, config.title),
        h(
          "span",
          { class: `job-status job-${state.status}`, "data-status": state.status },
          headline,
        ),
      ),
      state.status === "not_started" ? h("p", { class: "empty" }, config.idleText) : [
        h(
          "ol",
          { class: "steps" },
          names.map((name) => this.#stepRow(name, defs.get(name))),
        ),
        this.#counters(),
        h("p", { class: "muted small" }, this.time),
      ],
      state.status === "error" && state.error
        ? h("p", { class: "error-text", role: "alert" }, `The job failed: ${state.error}`)
        : null,
    );
    this.#renderTime();
  }

  /** @param {string} name @param {StepDef | undefined} def */
  #stepRow(name, def) {
    const step = this.state.steps[name] ?? { state: "pending", duration_ms: null };
    const counters = this.state.progress;
    const fraction = def?.fraction?.(counters) ?? null;
    const bar = /** @type {HTMLProgressElement} */ (
      h("progress", { "aria-label": `${def?.label ?? name}` })
    );
    bar.max = 1;
    if (step.state === "finished") bar.value = 1;
    else if (step.state === "started" && this.active) {
      // A step without a measurable fraction shows an indeterminate (moving) bar.
      if (fraction && fraction.max > 0) bar.value = fraction.value / fraction.max;
      else bar.removeAttribute("value");
    } else {
      // Pending: empty. Stopped (cancelled or failed mid-step): as far as it got.
      const partial = step.state === "started" && fraction && fraction.max > 0;
      bar.value = partial ? fraction.value / fraction.max : 0;
    }
    const stateText = step.state === "finished"
      ? `Done · ${duration(step.duration_ms)}`
      : step.state === "started"
      ? (this.active ? "Running…" : "Stopped")
      : this.active
      ? "Waiting"
      : "Not run";
    return h(
      "li",
      { class: `step step-${step.state}`, dataset: { step: name, state: step.state } },
      h("span", { class: "step-name" }, def?.label ?? humanize(name)),
      bar,
      h("span", { class: "step-state" }, stateText),
      def?.detail && step.state !== "pending"
        ? h("span", { class: "step-detail muted small" }, def.detail(counters))
        : null,
    );
  }

  #counters() {
    const counters = this.state.progress;
    /** @type {CounterDef[]} */
    const defs = this.config.counters ??
      Object.keys(counters).filter((key) => typeof counters[key] === "number").map((key) => ({
        key,
        label: humanize(key),
        text: (/** @type {Record<string, number>} */ c) => String(c[key]),
      }));
    const shown = defs.filter((def) => def.show?.(counters) ?? true);
    if (shown.length === 0) return null;
    return h(
      "dl",
      { class: "counters" },
      shown.map((def) =>
        h(
          "div",
          { dataset: { counter: def.key } },
          h("dt", null, def.label),
          h("dd", null, def.text(counters)),
        )
      ),
    );
  }

  #renderTime() {
    if (!this.time) return;
    const { started_at, finished_at, status } = this.state;
    if (!started_at) {
      this.time.textContent = this.active ? "Waiting to start…" : "";
      return;
    }
    const end = finished_at && !this.active ? Date.parse(finished_at) : Date.now();
    const elapsed = clock(end - Date.parse(started_at));
    this.time.textContent = this.active ? `Elapsed ${elapsed}` : `Took ${elapsed} (${status})`;
  }
}
