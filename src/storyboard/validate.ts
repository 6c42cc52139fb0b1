/**
 * Server-side validation of a storyboard against its manifest's registry (docs/pipeline.md, storyboard job). The
 * JSON schema sent to the LLM already constrains every tag to the registry, but a model may
 * ignore it; this check makes a storyboard with a tag that names nothing impossible to store:
 *
 * - scene indices become 0…n-1 in array order (the scene's own three indices are overwritten);
 * - an alias tag becomes its entry's tag (also as the whole of a free-text focal point);
 * - an unknown tag, or a new CHARACTER declared while the registry has characters, is a
 *   problem — reported, never guessed away.
 *
 * Pure: no I/O.
 *
 * @module
 */
import type { EnhancedStoryboardOutput } from "./schemas.ts";
import type { Registry } from "./registry.ts";

/** Something that stops a storyboard from being stored. */
export interface Problem {
  /** Where, e.g. `scenes[1].scene_manifest.placements[0].asset_tag`. */
  readonly path: string;
  readonly kind: "unknown_tag" | "character_declaration";
  /** The offending tag, or the declared character's name. */
  readonly value: string;
}

/** A change the server made on its own, for the job's log and counters. */
export interface Correction {
  readonly path: string;
  readonly from: string | number;
  readonly to: string | number;
}

/** The result of {@linkcode validateStoryboard}. */
export interface Validation {
  /** The storyboard with indices assigned and aliases mapped (a copy; the input is untouched). */
  readonly storyboard: EnhancedStoryboardOutput;
  readonly problems: readonly Problem[];
  readonly aliasesMapped: readonly Correction[];
  readonly indicesFixed: readonly Correction[];
}

/** Checks and normalises `storyboard` against `registry`. */
export function validateStoryboard(
  input: EnhancedStoryboardOutput,
  registry: Registry,
): Validation {
  const storyboard = structuredClone(input);
  const primary = new Set(registry.primaryTags);
  const problems: Problem[] = [];
  const aliasesMapped: Correction[] = [];
  const indicesFixed: Correction[] = [];

  const checkTag = (path: string, tag: string): string => {
    if (primary.has(tag)) return tag;
    const mapped = registry.primaryOf.get(tag);
    if (mapped !== undefined) {
      aliasesMapped.push({ path, from: tag, to: mapped });
      return mapped;
    }
    problems.push({ path, kind: "unknown_tag", value: tag });
    return tag;
  };
  const setIndex = (path: string, holder: { scene_index: number }, index: number) => {
    if (holder.scene_index !== index) {
      indicesFixed.push({ path: `${path}.scene_index`, from: holder.scene_index, to: index });
      holder.scene_index = index;
    }
  };

  storyboard.characters.forEach((character, i) => {
    if (character.asset_tag !== null) {
      character.asset_tag = checkTag(`characters[${i}].asset_tag`, character.asset_tag);
    }
  });
  storyboard.scenes.forEach((scene, index) => {
    const at = `scenes[${index}]`;
    setIndex(at, scene, index);
    setIndex(`${at}.scene_manifest`, scene.scene_manifest, index);
    setIndex(`${at}.audio_manifest`, scene.audio_manifest, index);
    // The focal point is free text; only an exact alias is worth mapping.
    const focal = scene.scene_manifest.composition;
    const focalPrimary = registry.primaryOf.get(focal.focal_point.trim());
    if (focalPrimary !== undefined) {
      aliasesMapped.push({
        path: `${at}.scene_manifest.composition.focal_point`,
        from: focal.focal_point,
        to: focalPrimary,
      });
      focal.focal_point = focalPrimary;
    }
    scene.scene_manifest.placements.forEach((placement, i) => {
      placement.asset_tag = checkTag(
        `${at}.scene_manifest.placements[${i}].asset_tag`,
        placement.asset_tag,
      );
    });
    scene.audio_manifest.dialogue_lines.forEach((line, i) => {
      line.speaker_tag = checkTag(
        `${at}.audio_manifest.dialogue_lines[${i}].speaker_tag`,
        line.speaker_tag,
      );
    });
    (scene.scene_manifest.new_asset_declarations ?? []).forEach((declaration, i) => {
      if (registry.hasCharacters && declaration.asset_type === "CHARACTER") {
        problems.push({
          path: `${at}.scene_manifest.new_asset_declarations[${i}].asset_type`,
          kind: "character_declaration",
          value: declaration.name,
        });
      }
    });
  });
  return { storyboard, problems, aliasesMapped, indicesFixed };
}

/** The unknown tags among `problems`, each once, in order of appearance. */
export function unknownTags(problems: readonly Problem[]): string[] {
  return [...new Set(problems.filter((p) => p.kind === "unknown_tag").map((p) => p.value))];
}

/** One sentence per problem, for the repair prompt and the job's error. */
export function describeProblems(problems: readonly Problem[]): string[] {
  return problems.map((problem) =>
    problem.kind === "unknown_tag"
      ? `${problem.path} is ${problem.value}, which is not a tag of the registry`
      : `${problem.path} declares a new CHARACTER ("${problem.value}") although the registry ` +
        "has characters"
  );
}
