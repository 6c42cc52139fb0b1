/**
 * The manifest registry the storyboard LLM sees (docs/pipeline.md, the registry): one entry per identity or asset,
 * best quality first, each under the one tag the LLM may use. Three crops of one person are
 * one character with two alias tags, never three characters — the mistake that made the
 * older system invent tags and lose reference images.
 *
 * Pure: it receives rows and returns data and text, so the same manifest always gives the
 * same block.
 *
 * @module
 */
import { parseJsonList } from "../db/json_list.ts";

/** The fields of an asset the registry reads. */
export interface RegistryAsset {
  readonly id: string;
  readonly manifest_tag: string | null;
  readonly name: string;
  readonly asset_type: string;
  readonly quality_score: number | null;
  readonly reverse_prompt: string | null;
  readonly visual_description: string | null;
  readonly description: string | null;
  /** JSON list, as stored. */
  readonly user_tags: string;
  readonly source: string;
  readonly source_asset_id: string | null;
  readonly extraction_role: string | null;
  readonly detection_class: string | null;
  readonly identity_id: string | null;
}

/** The fields of an identity the registry reads. */
export interface RegistryIdentity {
  readonly id: string;
  readonly primary_asset_id: string | null;
  readonly name: string | null;
}

/** One entry: an identity (with its alias tags) or a single asset. */
export interface RegistryEntry {
  /** The tag the storyboard must use. */
  readonly tag: string;
  /** Other tags of the same person, mapped to {@linkcode tag} when the LLM uses them. */
  readonly aliases: readonly string[];
  readonly name: string;
  readonly type: string;
  readonly quality: number | null;
  /** The reverse prompt, shortened to {@linkcode PROMPT_CHARS} characters. */
  readonly prompt: string;
  readonly notes: readonly string[];
  /** The asset whose image represents the entry. */
  readonly assetId: string;
}

/** A manifest's registry. */
export interface Registry {
  readonly manifestName: string;
  readonly manifestVersion: number;
  readonly entries: readonly RegistryEntry[];
  /** Every entry's tag, in entry order: the `enum` of every tag field. */
  readonly primaryTags: readonly string[];
  /** Alias tag → its entry's tag. */
  readonly primaryOf: ReadonlyMap<string, string>;
  /** Whether any entry is a CHARACTER (then no new CHARACTER may be declared). */
  readonly hasCharacters: boolean;
}

/** Length of the shortened reverse prompt in an entry. */
export const PROMPT_CHARS = 180;

/** Builds the registry of a manifest from its assets and identities. */
export function buildRegistry(
  manifest: { readonly name: string; readonly version: number },
  assets: readonly RegistryAsset[],
  identities: readonly RegistryIdentity[],
): Registry {
  const tagged = assets.filter((asset) => asset.manifest_tag !== null);
  const byId = new Map(assets.map((asset) => [asset.id, asset]));
  const members = new Map<string, RegistryAsset[]>();
  for (const asset of tagged) {
    if (asset.identity_id === null) continue;
    members.set(asset.identity_id, [...members.get(asset.identity_id) ?? [], asset]);
  }
  const identityById = new Map(identities.map((identity) => [identity.id, identity]));
  const entries: RegistryEntry[] = [];
  for (const [identityId, group] of members) {
    const identity = identityById.get(identityId);
    const primary = group.find((asset) => asset.id === identity?.primary_asset_id) ??
      [...group].sort(byQualityThenTag)[0];
    const aliases = group.filter((asset) => asset !== primary).map((asset) => asset.manifest_tag!)
      .sort(compareTags);
    entries.push({
      ...entryOf(primary, byId),
      name: identity?.name ?? primary.name,
      aliases,
      notes: identityNotes(group, primary, byId),
    });
  }
  for (const asset of tagged) {
    if (asset.identity_id === null || !members.has(asset.identity_id)) {
      entries.push(entryOf(asset, byId));
    }
  }
  entries.sort((a, b) => (b.quality ?? -1) - (a.quality ?? -1) || compareTags(a.tag, b.tag));
  const primaryOf = new Map<string, string>();
  for (const entry of entries) {
    for (const alias of entry.aliases) primaryOf.set(alias, entry.tag);
  }
  return {
    manifestName: manifest.name,
    manifestVersion: manifest.version,
    entries,
    primaryTags: entries.map((entry) => entry.tag),
    primaryOf,
    hasCharacters: entries.some((entry) => entry.type === "CHARACTER"),
  };
}

/** The registry as the text block the LLM reads (and `GET /manifests/{id}/registry` returns). */
export function renderRegistryBlock(registry: Registry): string {
  const characters = registry.entries.filter((entry) => entry.type === "CHARACTER").length;
  const lines = [
    `MANIFEST REGISTRY: "${registry.manifestName}" (version ${registry.manifestVersion})`,
    `${registry.entries.length} entries, ${characters} of them characters, best reference ` +
    "quality first.",
    'Refer to an asset only by its tag in brackets. Tags listed under "also" are other ' +
    "pictures of the same entry; do not use them as separate assets.",
  ];
  for (const entry of registry.entries) {
    const quality = entry.quality === null
      ? "quality unknown"
      : `quality ${entry.quality.toFixed(1)}/10`;
    lines.push("", `[${entry.tag}] ${oneLine(entry.name)} · ${entry.type} · ${quality}`);
    if (entry.aliases.length > 0) {
      const what = entry.type === "CHARACTER" ? "same person" : "same subject";
      lines.push(`  also: ${entry.aliases.join(", ")} (${what})`);
    }
    if (entry.prompt) lines.push(`  prompt: ${entry.prompt}`);
    if (entry.notes.length > 0) lines.push(`  notes: ${entry.notes.join("; ")}`);
  }
  return lines.join("\n") + "\n";
}

/** Orders tags by prefix, then number (`CHAR_2` before `CHAR_10`). */
export function compareTags(a: string, b: string): number {
  const [prefixA, numberA] = splitTag(a);
  const [prefixB, numberB] = splitTag(b);
  return prefixA < prefixB ? -1 : prefixA > prefixB ? 1 : numberA - numberB || (a < b ? -1 : 1);
}

function splitTag(tag: string): [string, number] {
  const match = /^(.*?)_?(\d+)$/.exec(tag);
  return match ? [match[1], Number(match[2])] : [tag, 0];
}

function byQualityThenTag(a: RegistryAsset, b: RegistryAsset): number {
  return (b.quality_score ?? -1) - (a.quality_score ?? -1) ||
    compareTags(a.manifest_tag!, b.manifest_tag!);
}

function entryOf(asset: RegistryAsset, byId: ReadonlyMap<string, RegistryAsset>): RegistryEntry {
  return {
    tag: asset.manifest_tag!,
    aliases: [],
    name: asset.name,
    type: asset.asset_type,
    quality: asset.quality_score,
    prompt: shorten(asset.reverse_prompt ?? asset.visual_description ?? "", PROMPT_CHARS),
    notes: assetNotes(asset, byId),
    assetId: asset.id,
  };
}

function assetNotes(asset: RegistryAsset, byId: ReadonlyMap<string, RegistryAsset>): string[] {
  const notes: string[] = [];
  if (asset.source === "uploaded") notes.push("uploaded reference photo");
  else {
    const role = asset.extraction_role ?? "detail";
    const upload = uploadOf(asset, byId);
    const from = upload !== asset && upload.manifest_tag ? ` from ${upload.manifest_tag}` : "";
    const detected = asset.detection_class && asset.detection_class !== role
      ? ` (${asset.detection_class})`
      : "";
    notes.push(`${role} crop${detected}${from}`);
  }
  return [...notes, ...userNotes(asset)];
}

function identityNotes(
  group: readonly RegistryAsset[],
  primary: RegistryAsset,
  byId: ReadonlyMap<string, RegistryAsset>,
): string[] {
  if (group.length === 1) return assetNotes(primary, byId);
  const counts = new Map<string, number>();
  for (const asset of group) {
    const kind = asset.source === "uploaded"
      ? "upload"
      : `${asset.extraction_role ?? "detail"} crop`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const parts = [...counts].sort(([a], [b]) => a < b ? -1 : 1)
    .map(([kind, n]) => `${n} ${kind}${n > 1 ? "s" : ""}`);
  const photos = [...new Set(group.map((asset) => uploadOf(asset, byId)))]
    .filter((upload) => upload.manifest_tag !== null).map((upload) => upload.manifest_tag!)
    .sort(compareTags);
  const seen = photos.length > 0 ? ` in ${photos.join(", ")}` : "";
  return [
    `${group.length} reference images (${parts.join(", ")})${seen}`,
    ...assetNotes(primary, byId).slice(1),
  ];
}

/** The upload a crop was cut from, following crops of crops. */
function uploadOf(asset: RegistryAsset, byId: ReadonlyMap<string, RegistryAsset>): RegistryAsset {
  let current = asset;
  for (let depth = 0; current.source_asset_id && depth < 8; depth++) {
    const parent = byId.get(current.source_asset_id);
    if (!parent) break;
    current = parent;
  }
  return current;
}

function userNotes(asset: RegistryAsset): string[] {
  const notes: string[] = [];
  const tags = parseJsonList(asset.user_tags);
  if (tags.length > 0) notes.push(`user tags: ${tags.join(", ")}`);
  if (asset.description?.trim()) notes.push(`user note: ${shorten(asset.description, 120)}`);
  return notes;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `text` on one line, cut at a word boundary to at most `max` characters. */
export function shorten(text: string, max: number): string {
  const flat = oneLine(text);
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, "")}…`;
}
