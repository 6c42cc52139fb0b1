/**
 * The `README.txt` of a bundle and the name its download gets: what a person sees first.
 *
 * @module
 */
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleDocument,
  MANIFEST_ENTRY,
  REGISTRY_ENTRY,
} from "./format.ts";

/** The text of `README.txt`. */
export function bundleReadme(document: BundleDocument): string {
  const { manifest, assets, identities } = document;
  const images = assets.filter((asset) => asset.image !== null).length;
  const pages = manifest.contact_sheet_pages.length;
  return [
    `Manifest Studio bundle: "${manifest.name}"`,
    `Exported ${document.exported_at} (${BUNDLE_FORMAT}, version ${BUNDLE_VERSION}).`,
    "",
    `${assets.length} assets, ${images} with an image; ${identities.length} identities.`,
    "",
    "What is inside:",
    `  ${MANIFEST_ENTRY}      the manifest, every asset (tag, type, names, prompts, scores,`,
    "                     boxes, parent, identity) and the identities, as JSON",
    "  images/            one image per asset, named by its tag (images/CHAR_01.jpg);",
    "                     crops not tagged yet are images/untagged-<n>.<ext>",
    pages > 0
      ? "  contact-sheet/     the contact sheet, one JPEG per page"
      : "  (no contact sheet: the manifest was never processed)",
    `  ${REGISTRY_ENTRY}       the registry block a storyboard writer reads`,
    "",
    "To bring it into another Manifest Studio: open the library, choose Import, and pick",
    "this ZIP unchanged (or POST it as the multipart field `file` to /api/manifests/import).",
    "The new manifest keeps every tag, prompt, box, parent link and identity.",
    "",
  ].join("\n");
}

/** A download name that is safe in any file system: `<manifest name>-bundle.zip` in ASCII. */
export function bundleFileName(manifestName: string): string {
  const slug = manifestName.normalize("NFKD").replace(/[^\x20-\x7e]/g, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, 80);
  return `${slug || "manifest"}-bundle.zip`;
}
