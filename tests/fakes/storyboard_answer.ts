/**
 * Storyboards as a fake Gemini answers them: schema-valid documents built from the tags a
 * test chooses, so a test can answer with valid tags, alias tags or invented ones.
 *
 * @module
 */

/** What one scene of a fake storyboard shows and says. */
export interface FakeScene {
  /** The tags placed in the scene (first one speaks, when `speaks` is set). */
  readonly tags: readonly string[];
  /** The index the "LLM" writes in all three places (default: the scene's position). */
  readonly index?: number;
  readonly speaks?: boolean;
  /** New assets the scene declares. */
  readonly declares?: readonly { name: string; asset_type: string }[];
}

/** A complete storyboard answer with one scene per entry of `scenes`. */
export function storyboardAnswer(
  scenes: readonly FakeScene[],
  options: { characterTag?: string | null } = {},
): Record<string, unknown> {
  return {
    style_guide: {
      visual_style: "photorealistic, natural light",
      color_palette: "teal and amber",
      camera_style: "handheld 35mm",
    },
    characters: options.characterTag === undefined ? [] : [{
      name: "Lead",
      physical_description: "as in the reference",
      clothing_description: "as in the reference",
      asset_tag: options.characterTag,
    }],
    scenes: scenes.map((scene, position) => {
      const index = scene.index ?? position;
      return {
        scene_index: index,
        scene_description: `Scene written at position ${position}`,
        key_details: [`detail ${position}`],
        start_frame_prompt: `start ${position}`,
        end_frame_prompt: `end ${position}`,
        video_motion_prompt: `motion ${position}`,
        transition_notes: `cut ${position}`,
        scene_manifest: {
          scene_index: index,
          composition: {
            shot_type: position % 2 ? "close_up" : "wide_shot",
            camera_movement: position % 2 ? "static" : "dolly_forward",
            focal_point: scene.tags[0] ?? "the street",
          },
          placements: scene.tags.map((tag, i) => ({
            asset_tag: tag,
            role: i === 0 ? "subject" : "background",
            position: i === 0 ? "center" : "left",
            action: i === 0 ? "walks toward camera" : null,
          })),
          continuity_notes: position > 0 ? "same light as before" : null,
          new_asset_declarations: scene.declares?.map((d) => ({
            ...d,
            description: `A ${d.name.toLowerCase()} to generate`,
          })) ?? null,
        },
        audio_manifest: {
          scene_index: index,
          dialogue_lines: scene.speaks && scene.tags[0]
            ? [{
              speaker_tag: scene.tags[0],
              speaker_name: "Lead",
              line: `Line ${position}`,
              delivery: "quietly",
              timing: "mid-scene",
              emphasis: null,
            }]
            : [],
          sfx: [{
            effect: "footsteps",
            trigger: "walking",
            timing: "throughout",
            volume: "subtle",
          }],
          ambient: {
            base_layer: "city hum",
            environmental: "rain",
            weather: null,
            time_cues: null,
          },
          music: position === 0
            ? {
              style: "ambient",
              mood: "tense",
              tempo: "slow",
              instruments: ["piano"],
              transition: "fade in",
            }
            : null,
          audio_continuity: position > 0
            ? { carries_from_previous: ["rain"], new_in_this_scene: [], cuts_from_previous: [] }
            : null,
        },
      };
    }),
  };
}
