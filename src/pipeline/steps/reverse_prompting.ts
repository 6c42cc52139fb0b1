/**
 * Step 4, `reverse_prompting`: every asset with an image and no prompt yet is described by
 * the active provider, at most `provider.concurrency` at once. A failing asset records its
 * `prompt_error` and the run goes on; a fatal provider error stops the job (docs/pipeline.md, step 4).
 *
 * @module
 */
import type { AssetRow, AssetUpdate } from "../../db/tables.ts";
import { ProviderFatalError, type ReversePromptInput } from "../../llm/provider.ts";
import { now } from "../../db/timestamp.ts";
import { assetToJson } from "../../registry/serialize.ts";
import { contentKey } from "../../storage/blob_store.ts";
import { manifestAssets, rootUploads, type StepContext } from "../context.ts";
import { inLanes } from "../lanes.ts";

/** Runs the reverse-prompting step. */
export async function runReversePrompting(ctx: StepContext): Promise<void> {
  const assets = await manifestAssets(ctx.db, ctx.manifestId);
  const withImage = assets.filter((asset) => asset.image_key !== null);
  const pending = withImage.filter((asset) => asset.prompted_at === null);
  const crops = withImage.filter((asset) => asset.source === "extracted");
  ctx.progress.update({
    prompts_total: withImage.length,
    prompts_done: withImage.length - pending.length,
    crops_reverse_prompted: crops.filter((asset) => asset.prompted_at !== null).length,
    prompt_errors: 0,
  });
  const inputs = describeInputs(assets);
  await inLanes(pending, ctx.provider.concurrency, async (asset) => {
    await ctx.control.checkpoint();
    await promptOne(ctx, asset, inputs.get(asset.id)!);
  });
}

type InputFacts = Omit<ReversePromptInput, "bytes" | "mime">;

/** What the provider is told about each asset besides its pixels. */
function describeInputs(assets: readonly AssetRow[]): Map<string, InputFacts> {
  const roots = rootUploads(assets);
  const facesIn = new Map<string, number>();
  for (const asset of assets) {
    if (asset.is_face_crop !== 1) continue;
    const root = roots.get(asset.id)?.id;
    if (root) facesIn.set(root, (facesIn.get(root) ?? 0) + 1);
    if (asset.source_asset_id && asset.source_asset_id !== root) {
      facesIn.set(asset.source_asset_id, (facesIn.get(asset.source_asset_id) ?? 0) + 1);
    }
  }
  const facts = new Map<string, InputFacts>();
  for (const asset of assets) {
    const root = roots.get(asset.id);
    const isUpload = asset.source === "uploaded";
    const rootArea = (root?.width ?? 0) * (root?.height ?? 0);
    const box = asset.crop_bbox ? JSON.parse(asset.crop_bbox) as number[] : null;
    const boxArea = box ? Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]) : 0;
    facts.set(asset.id, {
      assetType: asset.asset_type,
      name: asset.name,
      role: isUpload ? "upload" : asset.extraction_role ?? "object",
      detectionClass: asset.detection_class,
      detectionConfidence: asset.detection_confidence,
      faceCount: asset.is_face_crop === 1 ? 1 : facesIn.get(asset.id) ?? 0,
      subjectFraction: isUpload || rootArea === 0 ? 1 : Math.min(1, boxArea / rootArea),
    });
  }
  return facts;
}

async function promptOne(ctx: StepContext, asset: AssetRow, facts: InputFacts): Promise<void> {
  const at = now();
  let change: AssetUpdate;
  try {
    const bytes = await ctx.blobs.get(contentKey(asset.image_key!));
    if (!bytes) throw new Error("The image is missing from storage: upload it again.");
    const { output, usage } = await ctx.provider.describe(
      { ...facts, bytes, mime: asset.mime ?? "image/jpeg" },
      ctx.control.signal,
    );
    // Crop names are ours; an upload's name is the user's and is kept.
    const rename = asset.source === "extracted" && output.suggested_name;
    change = {
      reverse_prompt: output.reverse_prompt,
      visual_description: output.visual_description,
      quality_score: Math.round(output.quality_score * 10) / 10,
      suggested_name: output.suggested_name ?? null,
      ...(rename && { name: output.suggested_name }),
      prompt_provider: ctx.provider.name,
      prompt_input_tokens: usage?.inputTokens ?? null,
      prompt_output_tokens: usage?.outputTokens ?? null,
      prompted_at: at,
      prompt_error: null,
      updated_at: at,
    };
  } catch (error) {
    if (error instanceof ProviderFatalError || ctx.control.signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    change = {
      prompt_error: message.slice(0, 1000),
      prompt_provider: ctx.provider.name,
      updated_at: at,
    };
    ctx.progress.add("prompt_errors");
  }
  const row = await ctx.db.updateTable("assets").set(change).where("id", "=", asset.id)
    .returningAll().executeTakeFirstOrThrow();
  if (row.prompted_at !== null) {
    ctx.progress.add("prompts_done");
    ctx.progress.add("input_tokens", row.prompt_input_tokens ?? 0);
    ctx.progress.add("output_tokens", row.prompt_output_tokens ?? 0);
    if (row.source === "extracted") ctx.progress.add("crops_reverse_prompted");
  }
  await ctx.progress.asset(assetToJson(row), "updated");
}
