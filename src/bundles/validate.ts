/**
 * Validating a bundle's `manifest.json` before anything is written. Pure: it receives the
 * entry's bytes and the archive's entry names, and returns the plan an import carries out —
 * or throws a 422 naming every problem found, so one correction round is enough.
 *
 * What a bundle must hold together, beyond its schema (`format.ts`):
 * - tags are canonical (`CHAR_01`), unique, and their prefix is their type's (`TAG_PREFIX`);
 *   an asset's `ref` is its tag, or `untagged-<n>` for a crop that has none;
 * - uploads have a tag and no parent; crops have a parent in the bundle (no cycle) and a role,
 *   and `is_face_crop` is true exactly for the `face` role;
 * - every identity's members exist and say they belong to it, and nothing else does; its
 *   primary is one of them;
 * - every image and contact sheet page the document names is in the archive, no file serves
 *   two assets, and no two uploads are the same photo.
 *
 * Identities may hold person crops and CHARACTER uploads next to their faces (the pipeline puts
 * them there), so members are not required to be faces.
 *
 * @module
 */
import { AppError, invalid } from "../errors.ts";
import { describeIssues, issuePath } from "../zod_issues.ts";
import { formatTag, parseTag, TAG_PREFIX } from "../registry/tags.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleAsset,
  BundleDocument,
  isUntaggedRef,
  MANIFEST_ENTRY,
} from "./format.ts";

/** What an import writes, in the order it writes it. */
export interface ImportPlan {
  readonly document: BundleDocument;
  /** Every asset, each after the asset it was cut from. */
  readonly assets: readonly BundleAsset[];
  /** Tag prefix → the last number the new manifest's counter records. */
  readonly counters: ReadonlyMap<string, number>;
  /** The contact sheet's pages, in order from page 1, with the cells each shows. */
  readonly contactSheetPages: readonly PlannedSheetPage[];
}

/** A contact sheet page of the bundle: its entry and the numbers of its first and last cell. */
export interface PlannedSheetPage {
  readonly entry: string;
  readonly page: number;
  readonly firstCell: number;
  /** `firstCell - 1` on the empty page of a manifest without images. */
  readonly lastCell: number;
}

/** One thing wrong with a document. */
export interface Problem {
  readonly code: string;
  readonly message: string;
}

/** How many problems a refusal lists in its message (all are in `details.problems`). */
const LISTED = 5;

/** Parses the bytes of `manifest.json` and validates it against the archive's entry names. */
export function validateBundle(bytes: Uint8Array, entries: ReadonlySet<string>): ImportPlan {
  return planImport(checkDocument(parseJson(bytes)), entries);
}

/** The JSON in `bytes`, or a 422 saying it is not JSON. */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(
      "malformed_bundle_manifest",
      `The bundle's ${MANIFEST_ENTRY} is not valid UTF-8 JSON (${reason}): export the bundle ` +
        "again, or repair the file.",
      { entry: MANIFEST_ENTRY },
    );
  }
}

/**
 * Checks the format and version first (a newer bundle is refused for what it is, not for the
 * fields it may have renamed), then the schema.
 */
export function checkDocument(raw: unknown): BundleDocument {
  const head = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  if (head.format !== BUNDLE_FORMAT) {
    throw invalid(
      "not_a_bundle",
      `${MANIFEST_ENTRY} does not say "format": "${BUNDLE_FORMAT}", so this ZIP is not a ` +
        "Manifest Studio bundle: import a file made by GET /api/manifests/{id}/export.",
      { entry: MANIFEST_ENTRY, supported_version: BUNDLE_VERSION },
    );
  }
  if (typeof head.version === "number" && head.version > BUNDLE_VERSION) {
    throw invalid(
      "bundle_version_unsupported",
      `This bundle has format version ${head.version}, made by a newer Manifest Studio; this ` +
        `server reads version ${BUNDLE_VERSION}. Update the server, or export the manifest ` +
        `from a server that writes version ${BUNDLE_VERSION}.`,
      { version: head.version, supported_version: BUNDLE_VERSION },
    );
  }
  const parsed = BundleDocument.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: issuePath(issue.path),
    message: issue.message,
  }));
  const lines = describeIssues(parsed.error.issues);
  throw invalid(
    "invalid_bundle_manifest",
    `The bundle's ${MANIFEST_ENTRY} does not follow format version ${BUNDLE_VERSION}: ` +
      `${lines.slice(0, LISTED).join("; ")}${more(lines.length)}.`,
    { entry: MANIFEST_ENTRY, issues },
  );
}

/** Checks how a valid document's parts refer to each other and to the archive. */
export function planImport(document: BundleDocument, entries: ReadonlySet<string>): ImportPlan {
  const problems: Problem[] = [];
  const add = (code: string, message: string) => problems.push({ code, message });
  const byRef = new Map<string, BundleAsset>();

  for (const asset of document.assets) {
    checkTag(asset, add);
    if (byRef.has(asset.ref)) {
      add(
        asset.tag === null ? "duplicate_ref" : "duplicate_tag",
        `Two assets are ${asset.ref}: a tag names one asset only.`,
      );
    }
    byRef.set(asset.ref, asset);
    checkSource(asset, add);
  }
  const ordered = parentsFirst(document.assets, byRef, add);
  checkIdentities(document, byRef, add);
  checkFiles(document, entries, add);
  checkSheetPages(document, add);
  checkCounters(document, add);

  if (problems.length > 0) throw refusal(problems);
  return {
    document,
    assets: ordered,
    counters: counters(document),
    contactSheetPages: sheetPagesOf(document),
  };
}

type Add = (code: string, message: string) => void;

function checkTag(asset: BundleAsset, add: Add): void {
  if (asset.tag === null) {
    if (!isUntaggedRef(asset.ref)) {
      add(
        "invalid_ref",
        `An asset without a tag has ref "${asset.ref}": use untagged-<n>, or give it a tag.`,
      );
    }
    if (asset.source === "uploaded") {
      add(
        "upload_without_tag",
        `Upload ${asset.ref} ("${asset.name}") has no tag: every upload has one.`,
      );
    }
    return;
  }
  const parsed = parseTag(asset.tag);
  if (!parsed || parsed.number < 1 || formatTag(parsed.prefix, parsed.number) !== asset.tag) {
    add(
      "invalid_tag",
      `"${asset.tag}" is not a tag: write PREFIX_NN, e.g. ${TAG_PREFIX[asset.type]}_01.`,
    );
    return;
  }
  if (asset.ref !== asset.tag) {
    add(
      "invalid_ref",
      `Asset ${asset.tag} has ref "${asset.ref}": a tagged asset's ref is its tag.`,
    );
  }
  const expected = TAG_PREFIX[asset.type];
  if (parsed.prefix !== expected) {
    add(
      "tag_prefix_mismatch",
      `${asset.tag} is a ${asset.type}, whose tags start with ${expected}_: a type change ` +
        "gives an asset a new tag, so the two cannot disagree.",
    );
  }
}

function checkSource(asset: BundleAsset, add: Add): void {
  if (asset.source === "uploaded") {
    if (asset.parent !== null || asset.extraction_role !== null || asset.is_face_crop) {
      add(
        "inconsistent_source",
        `Upload ${asset.ref} has a parent, an extraction role or the face flag: only crops ` +
          "(source extracted) have those.",
      );
    }
    return;
  }
  if (asset.parent === null || asset.extraction_role === null) {
    add(
      "inconsistent_source",
      `Crop ${asset.ref} needs the parent it was cut from and its extraction_role.`,
    );
  }
  if (asset.is_face_crop !== (asset.extraction_role === "face")) {
    add(
      "face_flag_mismatch",
      `Crop ${asset.ref} has is_face_crop ${asset.is_face_crop} but role ` +
        `${asset.extraction_role}: the flag is true exactly for face crops.`,
    );
  }
}

/** The assets with each parent before its crops; reports unknown parents and cycles. */
function parentsFirst(
  assets: readonly BundleAsset[],
  byRef: ReadonlyMap<string, BundleAsset>,
  add: Add,
): BundleAsset[] {
  const ordered: BundleAsset[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (asset: BundleAsset): void => {
    // Walks up the chain iteratively: a hostile bundle could make it very long.
    const chain: BundleAsset[] = [];
    let current: BundleAsset | undefined = asset;
    while (current && !state.has(current.ref)) {
      state.set(current.ref, "visiting");
      chain.push(current);
      current = current.parent === null ? undefined : byRef.get(current.parent);
    }
    if (current && state.get(current.ref) === "visiting") {
      add(
        "parent_cycle",
        `${current.ref} is, through its parents, cut from itself: a crop's parent chain must ` +
          "end at an upload.",
      );
    }
    for (const link of chain.reverse()) {
      state.set(link.ref, "done");
      ordered.push(link);
    }
  };
  for (const asset of assets) {
    if (asset.parent !== null && !byRef.has(asset.parent)) {
      add(
        "unknown_parent",
        `Crop ${asset.ref} is cut from ${asset.parent}, which is not in the bundle.`,
      );
    }
  }
  for (const asset of assets) visit(asset);
  return ordered;
}

function checkIdentities(
  document: BundleDocument,
  byRef: ReadonlyMap<string, BundleAsset>,
  add: Add,
): void {
  const ids = new Set<string>();
  for (const identity of document.identities) {
    if (ids.has(identity.id)) add("duplicate_identity", `Two identities are ${identity.id}.`);
    ids.add(identity.id);
    const members = new Set(identity.members);
    if (members.size !== identity.members.length) {
      add("identity_members_mismatch", `Identity ${identity.id} lists a member twice.`);
    }
    for (const ref of members) {
      const asset = byRef.get(ref);
      if (!asset) {
        add(
          "unknown_identity_member",
          `Identity ${identity.id} has member ${ref}, which is not in the bundle.`,
        );
      } else if (asset.identity !== identity.id) {
        add(
          "identity_members_mismatch",
          `Identity ${identity.id} lists ${ref}, but ${ref} says its identity is ` +
            `${asset.identity ?? "none"}: the two must agree.`,
        );
      }
    }
    if (identity.primary !== null && !members.has(identity.primary)) {
      add(
        "identity_primary_not_member",
        `Identity ${identity.id}'s primary ${identity.primary} is not one of its members.`,
      );
    }
  }
  const listed = new Map(
    document.identities.flatMap((identity) => identity.members.map((ref) => [ref, identity.id])),
  );
  for (const asset of document.assets) {
    if (asset.identity === null) continue;
    if (!ids.has(asset.identity)) {
      add(
        "unknown_identity",
        `${asset.ref} belongs to identity ${asset.identity}, which is not in the bundle.`,
      );
    } else if (!listed.has(asset.ref)) {
      add(
        "identity_members_mismatch",
        `${asset.ref} says it belongs to identity ${asset.identity}, which does not list it.`,
      );
    }
  }
}

function checkFiles(document: BundleDocument, entries: ReadonlySet<string>, add: Add): void {
  const files = new Map<string, string>();
  const photos = new Map<string, string>();
  for (const asset of document.assets) {
    if (asset.image === null) continue;
    const { file } = asset.image;
    if (!entries.has(file)) {
      add("missing_image", `${asset.ref}'s image ${file} is not in the bundle.`);
    }
    const other = files.get(file);
    if (other) add("shared_image_file", `${other} and ${asset.ref} both name ${file}.`);
    files.set(file, asset.ref);
    if (asset.source !== "uploaded") continue;
    const photo = asset.image.upload_sha256 ?? asset.image.sha256;
    const same = photos.get(photo);
    if (same) {
      add(
        "duplicate_upload",
        `Uploads ${same} and ${asset.ref} are the same photo: a manifest holds a photo once.`,
      );
    }
    photos.set(photo, asset.ref);
  }
  for (const page of document.manifest.contact_sheet_pages) {
    if (!entries.has(page)) {
      add("missing_contact_sheet", `Contact sheet page ${page} is not in the bundle.`);
    }
  }
}

/** Cells are the assets with an image, in document order. */
function cellCount(document: BundleDocument): number {
  return document.assets.filter((asset) => asset.image !== null).length;
}

/** Several pages need a page size that makes as many pages of the images as are listed. */
function checkSheetPages(document: BundleDocument, add: Add): void {
  const { contact_sheet_pages: pages, contact_sheet_page_size: size } = document.manifest;
  if (pages.length < 2) return;
  const cells = cellCount(document);
  const made = size === undefined ? null : Math.ceil(cells / size);
  if (made !== pages.length) {
    add(
      "contact_sheet_pages_mismatch",
      `manifest.contact_sheet_pages lists ${pages.length} pages, but ` +
        (size === undefined
          ? "manifest.contact_sheet_page_size does not say how many cells each holds"
          : `${cells} images at ${size} per page make ${made}`) +
        ": export the manifest again, or list its first page only.",
    );
  }
}

/** The listed pages with their cells (checked by {@linkcode checkSheetPages}). */
function sheetPagesOf(document: BundleDocument): PlannedSheetPage[] {
  const { contact_sheet_pages: pages, contact_sheet_page_size: size } = document.manifest;
  const cells = cellCount(document);
  const perPage = pages.length > 1 ? size! : cells;
  return pages.map((entry, i) => ({
    entry,
    page: i + 1,
    firstCell: i * perPage + 1,
    lastCell: Math.min((i + 1) * perPage, cells),
  }));
}

function checkCounters(document: BundleDocument, add: Add): void {
  const prefixes = new Set(Object.values(TAG_PREFIX));
  for (const prefix of Object.keys(document.manifest.tag_counters)) {
    if (!prefixes.has(prefix)) {
      add(
        "unknown_tag_prefix",
        `tag_counters names ${prefix}, which no asset type uses (${[...prefixes].join(", ")}).`,
      );
    }
  }
}

/** Per prefix, the larger of the source's counter and the highest imported number. */
function counters(document: BundleDocument): Map<string, number> {
  const result = new Map<string, number>(Object.entries(document.manifest.tag_counters));
  for (const asset of document.assets) {
    const parsed = asset.tag === null ? null : parseTag(asset.tag);
    if (parsed && parsed.number > (result.get(parsed.prefix) ?? 0)) {
      result.set(parsed.prefix, parsed.number);
    }
  }
  for (const [prefix, last] of result) if (last === 0) result.delete(prefix);
  return result;
}

function refusal(problems: readonly Problem[]): AppError {
  const lines = problems.map((problem) => problem.message);
  const message = problems.length === 1
    ? `The bundle's ${MANIFEST_ENTRY} is inconsistent: ${lines[0]}`
    : `The bundle's ${MANIFEST_ENTRY} has ${problems.length} problems: ` +
      `${lines.slice(0, LISTED).join(" ")}${more(lines.length)}`;
  return invalid(problems[0].code, `${message} Nothing was imported.`, { problems });
}

function more(count: number): string {
  return count > LISTED ? ` (and ${count - LISTED} more)` : "";
}
