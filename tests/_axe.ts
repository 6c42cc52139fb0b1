/**
 * Accessibility checks in the browser tests: axe-core (pinned in deno.json) is evaluated in
 * the page through the debugging protocol, which the dashboard's Content-Security-Policy does
 * not govern (an injected `<script>` would be refused), then run on the whole document.
 *
 * @module
 */
import axe from "axe-core";
import type { Page } from "playwright-core";

/** The impacts a page may not have. */
const BLOCKING = new Set(["serious", "critical"]);

/** One rule broken on a page, in words, with the elements that break it. */
export interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly targets: string[];
}

/** Runs axe-core on the page as it is now; returns its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) {
    await page.evaluate<void>(axe.source);
  }
  const results = await page.evaluate<{ violations: axe.Result[] }>(
    `axe.run(document, { resultTypes: ["violations"] })`,
  );
  return results.violations.filter((v) => BLOCKING.has(v.impact ?? "")).map((v) => ({
    id: v.id,
    impact: v.impact ?? "",
    help: v.help,
    targets: v.nodes.slice(0, 5).map((node) => node.target.join(" ")),
  }));
}

/** Fails with every serious or critical violation of the page, named. */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  const violations = await seriousViolations(page);
  if (violations.length === 0) return;
  const lines = violations.map((v) =>
    `- ${v.impact} ${v.id}: ${v.help}\n    ${v.targets.join("\n    ")}`
  );
  throw new Error(
    `axe-core on ${label}: ${violations.length} serious or critical\n${lines.join("\n")}`,
  );
}
