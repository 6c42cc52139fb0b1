/**
 * What we tell the storyboard LLM: the task, the registry block and the script, and — when
 * its first answer used tags that do not exist — exactly which ones were wrong and which
 * exist. Pure text.
 *
 * @module
 */
import type { Registry } from "./registry.ts";
import { describeProblems, type Problem } from "./validate.ts";

/** The parts of a project the prompt uses. */
export interface StoryboardBrief {
  readonly title: string;
  /** The script. */
  readonly prompt: string;
  readonly style: string | null;
  readonly aspect_ratio: string;
  readonly target_scene_count: number;
}

/** The first request: task, rules, registry block and script. */
export function storyboardPrompt(
  brief: StoryboardBrief,
  registry: Registry,
  block: string,
): string {
  const characterRule = registry.hasCharacters
    ? "Every person in the script is one of the registry's CHARACTER entries: cast each person " +
      "as the closest character and use its tag. Never declare a new CHARACTER."
    : "The registry has no characters: a person the script needs may be declared in " +
      "new_asset_declarations with asset_type CHARACTER.";
  return [
    "You are a storyboard artist preparing an AI-generated film. Write a storyboard for the " +
    "script below as JSON matching the response schema.",
    "",
    `Title: ${brief.title}`,
    `Aspect ratio: ${brief.aspect_ratio}`,
    `Scenes: exactly ${brief.target_scene_count}, numbered from 0 in playback order`,
    ...(brief.style ? [`Style: ${brief.style}`] : []),
    "",
    "Rules:",
    "- The registry below lists every asset that has a reference image. Use only its tags, " +
    "exactly as written in brackets, for asset_tag, speaker_tag and characters[].asset_tag.",
    '- Tags listed under "also" belong to the same entry: use the entry\'s bracketed tag.',
    `- ${characterRule}`,
    "- Something the script needs that is not in the registry goes in the scene's " +
    "new_asset_declarations with a description detailed enough to generate it.",
    "- Each scene's scene_manifest lists every registry asset visible in it (placements), its " +
    "composition and continuity; its audio_manifest lists dialogue by speaker tag, sound " +
    "effects, ambience, music and audio continuity with the previous scene.",
    "- Frame and motion prompts describe the registry assets as the registry does, so the " +
    "reference images stay consistent across scenes.",
    "",
    block.trimEnd(),
    "",
    "SCRIPT:",
    brief.prompt.trim(),
  ].join("\n");
}

/** The repair request, sent after the first answer as the conversation's next user turn. */
export function repairPrompt(problems: readonly Problem[], registry: Registry): string {
  return [
    "Your storyboard cannot be used as it is:",
    ...describeProblems(problems).map((line) => `- ${line}.`),
    "",
    `The only valid tags are: ${registry.primaryTags.join(", ")}.`,
    ...(registry.hasCharacters
      ? ["People must be cast as one of the CHARACTER entries; never declare a new CHARACTER."]
      : []),
    "Return the complete corrected storyboard as JSON matching the response schema, changing " +
    "nothing else.",
  ].join("\n");
}
