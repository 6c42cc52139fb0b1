/**
 * Browser tests: Debian's Chromium driven by `playwright-core` (no browser download;
 * NOTES-stack.md "Browser tests"), and screenshots under tests/output/.
 *
 * @module
 */
import fs from "node:fs";
import type { Browser, Page } from "playwright-core";

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Flags for a headless Chromium in a container (no sandbox, no GPU, no background traffic). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Screenshots land here (git-ignored). */
export const OUTPUT_DIR = new URL("./output/", import.meta.url);

/**
 * Loads playwright-core. At load it probes `/proc/sys/fs/binfmt_misc/WSLInterop` with
 * `existsSync`, and Deno refuses any access below /proc/sys without --allow-all (throwing
 * NotCapable) where Node answers false; `deno task test` grants no --allow-all, so during
 * the import a refused probe answers false, as in Node.
 */
async function loadPlaywright(): Promise<typeof import("playwright-core")> {
  const existsSync = fs.existsSync;
  fs.existsSync = (path) => {
    try {
      return existsSync(path);
    } catch {
      return false;
    }
  };
  try {
    return await import("playwright-core");
  } finally {
    fs.existsSync = existsSync;
  }
}

/** Launches headless Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: install it with ` +
        "`apt-get install -y chromium` (.ci/run does) or set CHROMIUM_PATH.",
    );
  }
  const { chromium } = await loadPlaywright();
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Runs `body` with a fresh page (1280×900) of a fresh browser, and always closes both. Page
 * errors, console errors (Content-Security-Policy refusals among them) and files the
 * dashboard needs but the server does not have (a 404 outside `/api`, such as a missing
 * favicon) are collected and returned, so a test can check the page was clean.
 */
export async function withPage<T>(
  body: (page: Page, problems: string[]) => Promise<T>,
): Promise<T> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Other test files may load both cores at once: give every action and wait room.
    context.setDefaultTimeout(90_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      // Chromium logs every 4xx the page receives; the page handles those itself.
      if (message.type() !== "error" || /Failed to load resource/.test(message.text())) return;
      problems.push(`console error: ${message.text()}`);
    });
    // A 404 under /api is an answer the page handles; anywhere else it is a missing file,
    // which the console line filtered above would not name.
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (response.status() === 404 && !path.startsWith("/api/")) {
        problems.push(`missing file: ${response.request().method()} ${path}`);
      }
    });
    return await body(page, problems);
  } finally {
    await browser.close();
  }
}

/**
 * Waits until the JavaScript `expression` is truthy in the page, checking every 100 ms.
 *
 * Use it instead of `page.waitForFunction(expression)`: that one re-reads a string with
 * `eval` from a page callback while it polls, which the dashboard's Content-Security-Policy
 * refuses (no 'unsafe-eval'), failing the wait and logging a page error. `page.evaluate`
 * comes from the browser's debugging protocol, which the policy does not govern.
 *
 * @throws {Error} when `timeoutMs` passes first.
 */
export async function waitForCondition(
  page: Page,
  expression: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate<unknown>(expression))) {
    if (Date.now() > deadline) {
      throw new Error(`Still false after ${timeoutMs} ms in the page: ${expression}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Saves a full-page screenshot as tests/output/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(OUTPUT_DIR, { recursive: true });
  // Best effort: let images that are on their way arrive, so the picture shows them.
  await waitForCondition(page, "[...document.images].every((img) => img.complete)", 15_000)
    .catch(() => {});
  const path = new URL(`${name}.png`, OUTPUT_DIR).pathname;
  await page.screenshot({ path, fullPage: true });
  return path;
}
