/**
 * Benchmark: how fast the dashboard's manifest page is ready on a production-sized manifest
 * (90 photos, about 735 assets: tests/_big_manifest.ts) in headless Chromium against the real
 * service on 127.0.0.1.
 *
 * For each run, a fresh browser context (empty HTTP cache) opens `#/manifests/<id>`; times
 * are from the start of the navigation (the page's `performance.timeOrigin`):
 *
 * - `first_image_ms`: the first tile's thumbnail has loaded (an image of the grid, not the
 *   page's chrome);
 * - `network_idle_ms`: the last HTTP request of the page load has finished, with no other
 *   one for 500 ms after it (the WebSocket, which stays open, is not a request);
 * - `elements`: `document.getElementsByTagName('*').length` once idle.
 *
 * The first run is `cold`: the server has not made the crops' 256 px thumbnails yet (they
 * are made on first request and cached). The other runs are `warm`.
 *
 * ```sh
 * deno run -A scripts/bench/dashboard.ts --runs 5 > dashboard.json
 * ```
 *
 * @module
 */
import { benchDataDir } from "./data_dir.ts";
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { loadConfig } from "../../src/config.ts";
import { startServer } from "../../src/server.ts";
import { launchChromium } from "../../tests/_browser.ts";
import { bigManifest } from "../../tests/_big_manifest.ts";
import { summarize, type Summary } from "./stats.ts";

/** Options of {@linkcode benchDashboard}. */
export interface DashboardBenchOptions {
  /** Page loads measured; the first is cold. Default 5. */
  readonly runs?: number;
  /** Copies of the six demo photos; 15 gives 90 photos. Default 15. */
  readonly copies?: number;
  /** Pool workers of the service; default: the service's own default. */
  readonly workers?: number;
  /** Prints progress to stderr. */
  readonly progress?: (message: string) => void;
}

/** What {@linkcode benchDashboard} reports; times in milliseconds. */
export interface DashboardBenchResult {
  readonly photos: number;
  readonly assets: number;
  readonly people: number;
  readonly runs: number;
  /** The first run, before the server had cached any crop thumbnail. */
  readonly cold: PageLoad;
  /** The other runs. */
  readonly warm: {
    readonly first_image_ms: Summary;
    readonly network_idle_ms: Summary;
  };
  readonly targets: { readonly first_image_ms: number; readonly network_idle_ms: number };
}

/** One page load. */
export interface PageLoad {
  readonly first_image_ms: number;
  readonly network_idle_ms: number;
  readonly elements: number;
  /** HTTP requests of the load (API, files and thumbnails). */
  readonly requests: number;
}

/** The targets of the dashboard's first screen on this class of machine. */
export const TARGETS = { first_image_ms: 1500, network_idle_ms: 3000 } as const;

/** Quiet time after the last request that counts as idle. */
const IDLE_MS = 500;

/**
 * Builds the big manifest in a fresh service, then measures `runs` page loads of it.
 * Needs Chromium (see tests/_browser.ts) and permission to run it.
 */
export async function benchDashboard(
  options: DashboardBenchOptions = {},
): Promise<DashboardBenchResult> {
  const runs = Math.max(2, options.runs ?? 5);
  const say = options.progress ?? (() => {});
  const dataDir = await benchDataDir("dashboard-");
  const server = await startServer(loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
    ...(options.workers && { WORKERS: String(options.workers) }),
  }));
  let browser: Browser | null = null;
  let tmp: string | null = null;
  try {
    say("building the manifest (six photos processed, then copied)");
    const big = await bigManifest(server, { copies: options.copies ?? 15, name: "Bench cast" });
    // Playwright puts Chromium's profile under the temporary folder; the bench may write
    // under .cache only, so that is where the temporary folder goes.
    tmp = await benchDataDir("chromium-");
    Deno.env.set("TMPDIR", tmp);
    browser = await launchChromium();
    const loads: PageLoad[] = [];
    for (let run = 0; run < runs; run++) {
      say(`page load ${run + 1} of ${runs}${run === 0 ? " (cold)" : ""}`);
      loads.push(await measureLoad(browser, `${server.url}/#/manifests/${big.manifestId}`));
    }
    const warm = loads.slice(1);
    return {
      photos: big.uploads,
      assets: big.assets,
      people: big.identities,
      runs,
      cold: loads[0],
      warm: {
        first_image_ms: summarize(warm.map((load) => load.first_image_ms)),
        network_idle_ms: summarize(warm.map((load) => load.network_idle_ms)),
      },
      targets: TARGETS,
    };
  } finally {
    await browser?.close();
    await server.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** One page load in a fresh context. */
async function measureLoad(browser: Browser, url: string): Promise<PageLoad> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    // Recorded in the page itself, on the clock of its navigation. An init script comes
    // through the debugging protocol, which the page's Content-Security-Policy does not govern.
    await page.addInitScript(`
      document.addEventListener("load", (event) => {
        if (globalThis.firstTileImage === undefined && event.target.matches?.(".tile img")) {
          globalThis.firstTileImage = performance.now();
        }
      }, true);
    `);
    let inFlight = 0;
    let requests = 0;
    let lastDone = 0;
    const started = Date.now();
    page.on("request", () => {
      inFlight++;
      requests++;
    });
    const done = () => {
      inFlight--;
      lastDone = Date.now();
    };
    page.on("requestfinished", done);
    page.on("requestfailed", done);
    await page.goto(url);
    const deadline = Date.now() + 60_000;
    while (inFlight > 0 || Date.now() - lastDone < IDLE_MS || lastDone === 0) {
      if (Date.now() > deadline) throw new Error(`The page never went idle: ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const inPage = await page.evaluate<{ first: number | null; origin: number; elements: number }>(
      `({
        first: globalThis.firstTileImage ?? null,
        origin: performance.timeOrigin,
        elements: document.getElementsByTagName("*").length,
      })`,
    );
    if (inPage.first === null) throw new Error("No tile image loaded: is the manifest empty?");
    // `started` is taken just before the navigation; the page's own origin is a little later.
    const originOffset = Math.max(0, inPage.origin - started);
    return {
      first_image_ms: Math.round(inPage.first),
      network_idle_ms: Math.round(lastDone - started - originOffset),
      elements: inPage.elements,
      requests,
    };
  } finally {
    await context.close();
  }
}

if (import.meta.main) {
  const args = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "5" },
      copies: { type: "string", default: "15" },
      workers: { type: "string" },
    },
  });
  const result = await benchDashboard({
    runs: Number(args.values.runs),
    copies: Number(args.values.copies),
    workers: args.values.workers ? Number(args.values.workers) : undefined,
    progress: (message) => console.error(`bench dashboard: ${message}`),
  });
  console.log(JSON.stringify(result, null, 2));
}
