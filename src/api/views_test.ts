/**
 * The response schemas describe exactly the views the domain builds: this file fails to
 * type-check when a field is added, removed or retyped on one side only.
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import type { ContactSheetPageView } from "../registry/contact_sheets.ts";
import type { AssetView, IdentityView, ManifestView } from "../registry/serialize.ts";
import type { ManifestDetailView } from "../registry/manifest_text.ts";
import type { ProjectView } from "../storyboard/projects.ts";
import type { AssetUsageView } from "../registry/usage.ts";
import type { SceneSummary as SceneSummaryView } from "../storyboard/scene_summary.ts";
import type { readSceneAudio, readSceneManifest, StoredStoryboard } from "../storyboard/storage.ts";
import type {
  Project,
  SceneAudio,
  SceneManifest,
  SceneSummary,
  Storyboard,
} from "./project_schemas.ts";
import type {
  Asset,
  AssetUsage,
  ContactSheetPage,
  Identity,
  Manifest,
  ManifestDetail,
} from "./schemas.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const manifest: Same<z.infer<typeof Manifest>, ManifestView> = true;
const asset: Same<z.infer<typeof Asset>, AssetView> = true;
const identity: Same<z.infer<typeof Identity>, IdentityView> = true;
const project: Same<z.infer<typeof Project>, ProjectView> = true;
const storyboard: Same<z.infer<typeof Storyboard>, StoredStoryboard> = true;
const usage: Same<z.infer<typeof AssetUsage>, AssetUsageView> = true;
const scene: Same<z.infer<typeof SceneSummary>, SceneSummaryView> = true;
type Read<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
const sceneManifest: Same<z.infer<typeof SceneManifest>, Read<typeof readSceneManifest>> = true;
const sceneAudio: Same<z.infer<typeof SceneAudio>, Read<typeof readSceneAudio>> = true;

const sheetPage: Same<z.infer<typeof ContactSheetPage>, ContactSheetPageView> = true;
const detail: Same<z.infer<typeof ManifestDetail>, ManifestDetailView> = true;

Deno.test("response schemas and registry views have the same fields and types", () => {
  const all = [manifest, asset, identity, project, storyboard, usage, scene, sheetPage, detail];
  assert.deepEqual([...all, sceneManifest, sceneAudio], Array(11).fill(true));
});
