/**
 * Zod v4 schemas for the storyboard the LLM writes (docs/data-model.md describes how they are stored).
 *
 * There are two layers:
 *
 * - The base storyboard schemas ({@link StyleGuide}, {@link CharacterDescription},
 *   {@link SceneSchema}, {@link StoryboardOutput}) describe a storyboard on its own.
 * - The manifest-aware schemas extend them and are used when a project has an asset manifest:
 *   every scene additionally carries a {@link SceneManifestSchema} (which manifest assets appear
 *   in it, where, and doing what) and a {@link SceneAudioManifestSchema} (dialogue, SFX, ambience,
 *   music). {@link EnhancedSceneSchema} is `SceneSchema.extend(...)` and
 *   {@link EnhancedStoryboardOutput} is the top-level document.
 *
 * All schemas come from one factory, {@link buildStoryboardSchemas}, parameterised by the schema of
 * a manifest tag and of an asset type. The exported schemas are the plain build (any string is a
 * tag, every {@link ASSET_TYPES} member is allowed); {@link storyboardOutputSchemaFor} builds the
 * variant constrained to one project's tags.
 *
 * Every field and every object schema has a description, because the LLM reads them through the
 * JSON schema produced by `z.toJSONSchema`.
 *
 * ## Optional fields
 *
 * Optional fields (Pydantic `Optional[X] = None`) are written `X.nullable().default(null)`, and
 * optional-with-empty-default lists `z.array(X).default(() => [])`. That choice:
 *
 * - parses LLM output that omits the field *and* output that sends an explicit `null` (Gemini
 *   and most models do either), and always yields the key in the parsed value, so consumers see
 *   `X | null` (or `X[]`), never a third `undefined` state;
 * - gives a clean JSON schema. With `z.toJSONSchema(schema, { io: "input" })` (the recommended
 *   mode for the LLM request, since it describes exactly what `parse` accepts) such a field is
 *   absent from `required`, typed `["string", "null"]` (or `anyOf: [object, null]`) with
 *   `default: null`, and no `additionalProperties` keyword is emitted. The default
 *   `io: "output"` mode instead lists every field in `required` (still nullable) and adds
 *   `additionalProperties: false` — the "all keys required" strict style; documents valid
 *   against it also parse. For Gemini's legacy OpenAPI `responseSchema` (which rejects type
 *   arrays and `additionalProperties`) use `{ io: "input", target: "openapi-3.0" }`, which
 *   emits `nullable: true` instead; `responseJsonSchema` accepts the draft-2020-12 output as-is.
 *
 * This module is pure data: it performs no I/O.
 *
 * @module
 */

import { z } from "zod";

import { ASSET_TYPES, type AssetType } from "../db/vocabulary.ts";

export { ASSET_TYPES, type AssetType };

/** Optional string field: accepts omission or `null`, parses to `string | null`. */
function optionalText(description: string) {
  return z.string().nullable().default(null).describe(description);
}

/** List of strings defaulting to `[]` (a fresh array per parse). */
function textList(description: string) {
  return z.array(z.string()).default(() => []).describe(description);
}

/**
 * Builds every storyboard schema from a single definition.
 *
 * @param tagSchema schema of a manifest asset tag (`z.string()` or `z.enum(tags)`); used for
 *   `AssetPlacement.asset_tag`, `DialogueLine.speaker_tag` and `CharacterDescription.asset_tag`.
 * @param assetTypeSchema schema of `new_asset_declarations[].asset_type`.
 */
export function buildStoryboardSchemas<
  Tag extends z.ZodType<string>,
  AType extends z.ZodType<AssetType>,
>(tagSchema: Tag, assetTypeSchema: AType) {
  // ---------------------------------------------------------------- base storyboard

  const StyleGuide = z.object({
    visual_style: z.string().describe(
      "Overall visual style of the film, e.g. photorealistic, 2D watercolor animation, film noir",
    ),
    color_palette: z.string().describe("Dominant colors and grading used across all scenes"),
    camera_style: z.string().describe(
      "General camera language: lenses, framing habits, handheld vs. locked-off",
    ),
  }).describe("Global look applied consistently to every scene");

  const CharacterDescription = z.object({
    name: z.string().describe("Character name as used in scene descriptions and dialogue"),
    physical_description: z.string().describe(
      "Stable physical appearance: age, build, face, hair, distinguishing features",
    ),
    clothing_description: z.string().describe("Default outfit worn by the character"),
    asset_tag: tagSchema.nullable().default(null).describe(
      "Manifest tag of the character's reference asset, e.g. CHAR_01; null if the character " +
        "has no reference asset",
    ),
  }).describe("A recurring character, described so it renders consistently across scenes");

  const SceneSchema = z.object({
    scene_index: z.number().int().min(0).describe("Zero-based position of the scene in the film"),
    scene_description: z.string().describe("What happens in the scene, in prose"),
    key_details: z.array(z.string()).describe(
      "Visual details that must appear in the generated frames",
    ),
    start_frame_prompt: z.string().describe("Image-generation prompt for the scene's first frame"),
    end_frame_prompt: z.string().describe("Image-generation prompt for the scene's last frame"),
    video_motion_prompt: z.string().describe(
      "Video-generation prompt describing the motion between the start and end frames",
    ),
    transition_notes: z.string().describe("How this scene transitions into the next one"),
  }).describe("One scene of the storyboard");

  const StoryboardOutput = z.object({
    style_guide: StyleGuide,
    characters: z.array(CharacterDescription).describe("All recurring characters"),
    scenes: z.array(SceneSchema).describe("Scenes in playback order"),
  }).describe("A complete storyboard without manifest information");

  // ---------------------------------------------------------------- manifest: visuals

  const AssetPlacement = z.object({
    asset_tag: tagSchema.describe("Manifest tag e.g. CHAR_01, ENV_02"),
    role: z.string().describe("subject | background | prop | interaction_target | environment"),
    position: z.string().describe("Spatial hint: center, left, right, foreground, background"),
    action: optionalText("What asset does in scene"),
    expression: optionalText("For characters: facial expression, body language"),
    wardrobe_note: optionalText("Clothing/appearance notes for continuity"),
  }).describe("How one manifest asset appears in a scene");

  const SceneComposition = z.object({
    shot_type: z.string().describe("wide_shot | medium_shot | close_up | two_shot | establishing"),
    camera_movement: z.string().describe(
      "static | slow_pan_left | dolly_forward | crane_up | tracking",
    ),
    focal_point: z.string().describe("What camera focuses on (asset tag or description)"),
  }).describe("Shot framing and camera movement of a scene");

  const NewAssetDeclaration = z.object({
    name: z.string().describe("Short name of the new asset"),
    asset_type: assetTypeSchema.describe("Kind of asset"),
    description: z.string().describe(
      "Visual description detailed enough to generate a reference image",
    ),
  }).describe("An asset the scene needs that is not in the manifest registry");

  const SceneManifestSchema = z.object({
    scene_index: z.number().int().min(0).describe("Index of the scene this manifest belongs to"),
    composition: SceneComposition,
    placements: z.array(AssetPlacement).describe("All assets in this scene"),
    continuity_notes: optionalText(
      "Continuity with neighbouring scenes: positions, props, wardrobe, lighting",
    ),
    new_asset_declarations: z.array(NewAssetDeclaration).nullable().default(null).describe(
      "Assets not in registry",
    ),
  }).describe("Which manifest assets appear in a scene and how the scene is shot");

  // ---------------------------------------------------------------- manifest: audio

  const DialogueLine = z.object({
    speaker_tag: tagSchema.describe("Character asset tag e.g. CHAR_01"),
    speaker_name: z.string().describe("Display name of the speaking character"),
    line: z.string().describe("Exact dialogue text"),
    delivery: optionalText("How said: muttered, shouted, whispered"),
    timing: z.string().describe("When in scene: start | mid-scene | end"),
    emphasis: z.array(z.string()).nullable().default(null).describe("Words to emphasize"),
  }).describe("One spoken line of dialogue");

  const SFXEntry = z.object({
    effect: z.string().describe("The sound effect, e.g. door creak, glass shattering"),
    trigger: z.string().describe("What causes the sound"),
    timing: z.string().describe("Relative timing e.g. mid-scene, throughout, 0:02-0:04"),
    volume: z.string().describe("subtle | prominent | background"),
  }).describe("One sound effect in a scene");

  const AmbientAudio = z.object({
    base_layer: z.string().describe("Continuous room tone or soundscape under the whole scene"),
    environmental: optionalText("Environment-specific sounds, e.g. distant traffic, birdsong"),
    weather: optionalText("Weather sounds, e.g. light rain, wind gusts"),
    time_cues: optionalText("Sounds indicating time of day, e.g. morning birds, night crickets"),
  }).describe("Ambient sound bed of a scene");

  const MusicDirection = z.object({
    style: z.string().describe("Musical genre or style, e.g. orchestral, lo-fi, synthwave"),
    mood: z.string().describe("Emotional tone the music conveys"),
    tempo: z.string().describe("slow | moderate | fast | accelerating"),
    instruments: z.array(z.string()).nullable().default(null).describe(
      "Featured instruments, if specific ones are wanted",
    ),
    transition: z.string().describe("How music enters/exits: fade in, cut, swell"),
  }).describe("Music direction for a scene");

  const AudioContinuity = z.object({
    carries_from_previous: textList("Sounds continuing from the previous scene"),
    new_in_this_scene: textList("Sounds starting in this scene"),
    cuts_from_previous: textList("Sounds from the previous scene that stop at this scene's start"),
  }).describe("How this scene's audio relates to the previous scene's");

  const SceneAudioManifestSchema = z.object({
    scene_index: z.number().int().min(0).describe("Index of the scene this audio belongs to"),
    dialogue_lines: z.array(DialogueLine).default(() => []).describe(
      "Dialogue spoken in the scene, in order",
    ),
    sfx: z.array(SFXEntry).default(() => []).describe("Sound effects in the scene"),
    ambient: AmbientAudio.nullable().default(null).describe("Ambient sound bed, if any"),
    music: MusicDirection.nullable().default(null).describe("Music direction, if any"),
    audio_continuity: AudioContinuity.nullable().default(null).describe(
      "Audio continuity with the previous scene, if relevant",
    ),
  }).describe("Everything heard in a scene");

  // ---------------------------------------------------------------- enhanced storyboard

  // `.extend()` drops the base description, so the extension gets its own.
  const EnhancedSceneSchema = SceneSchema.extend({
    scene_manifest: SceneManifestSchema,
    audio_manifest: SceneAudioManifestSchema,
  }).describe("One scene of the storyboard, with its asset and audio manifests");

  const EnhancedStoryboardOutput = z.object({
    style_guide: StyleGuide,
    characters: z.array(CharacterDescription).describe("All recurring characters"),
    scenes: z.array(EnhancedSceneSchema).describe("Scenes in playback order"),
  }).describe("A complete storyboard for a project with an asset manifest");

  return {
    StyleGuide,
    CharacterDescription,
    SceneSchema,
    StoryboardOutput,
    AssetPlacement,
    SceneComposition,
    NewAssetDeclaration,
    SceneManifestSchema,
    DialogueLine,
    SFXEntry,
    AmbientAudio,
    MusicDirection,
    AudioContinuity,
    SceneAudioManifestSchema,
    EnhancedSceneSchema,
    EnhancedStoryboardOutput,
  };
}

/** The full set of schemas returned by {@link buildStoryboardSchemas}. */
export type StoryboardSchemas = ReturnType<
  typeof buildStoryboardSchemas<z.ZodType<string>, z.ZodType<AssetType>>
>;

const plain = buildStoryboardSchemas(z.string(), z.enum(ASSET_TYPES));

/** Global look of the film. */
export const StyleGuide = plain.StyleGuide;
export type StyleGuide = z.infer<typeof StyleGuide>;

/** A recurring character. */
export const CharacterDescription = plain.CharacterDescription;
export type CharacterDescription = z.infer<typeof CharacterDescription>;

/** One scene of a base storyboard. */
export const SceneSchema = plain.SceneSchema;
export type SceneSchema = z.infer<typeof SceneSchema>;

/** A base storyboard (no manifest). */
export const StoryboardOutput = plain.StoryboardOutput;
export type StoryboardOutput = z.infer<typeof StoryboardOutput>;

/** How one manifest asset appears in a scene. */
export const AssetPlacement = plain.AssetPlacement;
export type AssetPlacement = z.infer<typeof AssetPlacement>;

/** Shot framing and camera movement. */
export const SceneComposition = plain.SceneComposition;
export type SceneComposition = z.infer<typeof SceneComposition>;

/** An asset a scene needs that is not in the manifest. */
export const NewAssetDeclaration = plain.NewAssetDeclaration;
export type NewAssetDeclaration = z.infer<typeof NewAssetDeclaration>;

/** Visual manifest of a scene. */
export const SceneManifestSchema = plain.SceneManifestSchema;
export type SceneManifestSchema = z.infer<typeof SceneManifestSchema>;

/** One spoken line. */
export const DialogueLine = plain.DialogueLine;
export type DialogueLine = z.infer<typeof DialogueLine>;

/** One sound effect. */
export const SFXEntry = plain.SFXEntry;
export type SFXEntry = z.infer<typeof SFXEntry>;

/** Ambient sound bed. */
export const AmbientAudio = plain.AmbientAudio;
export type AmbientAudio = z.infer<typeof AmbientAudio>;

/** Music direction. */
export const MusicDirection = plain.MusicDirection;
export type MusicDirection = z.infer<typeof MusicDirection>;

/** Audio continuity with the previous scene. */
export const AudioContinuity = plain.AudioContinuity;
export type AudioContinuity = z.infer<typeof AudioContinuity>;

/** Audio manifest of a scene. */
export const SceneAudioManifestSchema = plain.SceneAudioManifestSchema;
export type SceneAudioManifestSchema = z.infer<typeof SceneAudioManifestSchema>;

/** {@link SceneSchema} extended with the scene's asset and audio manifests. */
export const EnhancedSceneSchema = plain.EnhancedSceneSchema;
export type EnhancedSceneSchema = z.infer<typeof EnhancedSceneSchema>;

/** A storyboard for a project with an asset manifest. */
export const EnhancedStoryboardOutput = plain.EnhancedStoryboardOutput;
export type EnhancedStoryboardOutput = z.infer<typeof EnhancedStoryboardOutput>;

/** Options of {@link storyboardOutputSchemaFor}. */
export interface StoryboardSchemaOptions {
  /** Whether scenes may declare new CHARACTER assets in `new_asset_declarations`. */
  allowCharacterDeclarations: boolean;
}

/**
 * {@link EnhancedStoryboardOutput} constrained to one project's manifest: every asset-tag field
 * (`AssetPlacement.asset_tag`, `DialogueLine.speaker_tag`, `CharacterDescription.asset_tag`) must
 * be one of `tags` (emitted as a JSON-schema `enum`), and `new_asset_declarations[].asset_type`
 * excludes `CHARACTER` unless `allowCharacterDeclarations` is set. `SceneComposition.focal_point`
 * stays free text. Parsed values are assignable to {@link EnhancedStoryboardOutput}.
 *
 * @param tags manifest tags, e.g. `["CHAR_01", "ENV_02"]`; duplicates are dropped, order kept.
 * @throws {RangeError} if `tags` is empty — no tag field could then be valid; use the plain
 *   {@link EnhancedStoryboardOutput} (or {@link StoryboardOutput}) for projects without assets.
 */
export function storyboardOutputSchemaFor(
  tags: readonly string[],
  opts: StoryboardSchemaOptions,
) {
  const unique = [...new Set(tags)];
  if (unique.length === 0) {
    throw new RangeError("storyboardOutputSchemaFor: the manifest has no asset tags");
  }
  const assetTypes = opts.allowCharacterDeclarations
    ? z.enum(ASSET_TYPES)
    : z.enum(ASSET_TYPES).exclude(["CHARACTER"]);
  return buildStoryboardSchemas(z.enum(unique), assetTypes).EnhancedStoryboardOutput;
}
