/**
 * The assets of a manifest grouped by the photo they come from: the photo with its detection
 * boxes drawn over it, its own card, then the crops cut from it.
 *
 * @module
 */
import { withToken } from "./auth.js";
import { assetCard } from "./asset_card.js";
import { h } from "./dom.js";

/** @typedef {import("./api.js").Asset} Asset */

const ROLE_ORDER = { person: 0, face: 1, object: 2 };

/** @typedef {{ root: Asset, crops: Asset[] }} Group an upload and the crops cut from it */

/**
 * The upload each asset comes from (crops of crops included), by asset id.
 * @param {Asset[]} assets
 * @returns {Map<string, Asset>}
 */
function rootUploads(assets) {
  const byId = new Map(assets.map((a) => [a.id, a]));
  /** @type {Map<string, Asset>} */
  const roots = new Map();
  for (const asset of assets) {
    /** @type {Asset | undefined} */
    let node = asset;
    // Bounded walk: a malformed cycle must not hang the page.
    for (let i = 0; i < 10 && node?.source_asset_id; i++) node = byId.get(node.source_asset_id);
    roots.set(asset.id, node ?? asset);
  }
  return roots;
}

/**
 * `CHAR_12` → 12, so tags sort as numbers.
 * @param {string | null} tag
 */
const tagNumber = (tag) => Number(tag?.match(/_(\d+)$/)?.[1] ?? Infinity);

/**
 * Renders the grid.
 * @param {Asset[]} assets every asset of the manifest
 * @param {import("./asset_card.js").CardContext} ctx
 * @returns {HTMLElement}
 */
export function assetGrid(assets, ctx) {
  const roots = rootUploads(assets);
  /** @type {Map<string, Group>} */
  const groups = new Map();
  for (const asset of assets) {
    // Every asset has a root (itself at least), and the root's group is made before it is read.
    const root = /** @type {Asset} */ (roots.get(asset.id));
    if (!groups.has(root.id)) groups.set(root.id, { root, crops: [] });
    if (asset.id !== root.id) /** @type {Group} */ (groups.get(root.id)).crops.push(asset);
  }
  const ordered = [...groups.values()].sort((a, b) =>
    a.root.sort_order - b.root.sort_order || a.root.created_at.localeCompare(b.root.created_at)
  );
  if (ordered.length === 0) {
    return h(
      "p",
      { class: "empty" },
      "No assets yet. Add photos above, then press Process to find the people and objects in them.",
    );
  }
  return h("div", { class: "asset-groups" }, ordered.map((g) => photoGroup(g.root, g.crops, ctx)));
}

/**
 * One photo and what was cut from it.
 * @param {Asset} upload
 * @param {Asset[]} crops
 * @param {import("./asset_card.js").CardContext} ctx
 */
function photoGroup(upload, crops, ctx) {
  crops.sort((a, b) =>
    (ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (a.extraction_role)] ?? 3) -
      (ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (b.extraction_role)] ?? 3) ||
    tagNumber(a.manifest_tag) - tagNumber(b.manifest_tag) ||
    (b.detection_confidence ?? 0) - (a.detection_confidence ?? 0)
  );
  const headingId = `group-${upload.id}`;
  const summary = crops.length
    ? `${crops.length} ${crops.length === 1 ? "crop" : "crops"}`
    : upload.detected_at
    ? "nothing detected"
    : "not analysed yet";
  return h(
    "section",
    { class: "photo-group", "aria-labelledby": headingId, dataset: { uploadId: upload.id } },
    h(
      "h3",
      { id: headingId },
      upload.name,
      " ",
      h("span", { class: "muted small" }, summary),
    ),
    h(
      "div",
      { class: "group-body" },
      h(
        "div",
        { class: "group-side" },
        upload.thumbnail_url ? photoWithBoxes(upload, crops) : null,
        assetCard(upload, ctx, { wide: true }),
      ),
      crops.length ? h("div", { class: "crop-grid" }, crops.map((c) => assetCard(c, ctx))) : h(
        "p",
        { class: "empty" },
        upload.detected_at
          ? "No person, face or object was found in this photo."
          : "Crops of the people, faces and objects in this photo appear here once it is processed.",
      ),
    ),
  );
}

/**
 * The photo with one box per crop. Boxes are positioned in percent of the photo's oriented
 * size (crop_bbox is in those pixels), so they follow the image at any displayed size.
 * @param {Asset} upload
 * @param {Asset[]} crops
 */
function photoWithBoxes(upload, crops) {
  const { width, height } = upload;
  const boxes = width && height
    ? crops.filter((c) => Array.isArray(c.crop_bbox)).map((crop) => {
      const [x1, y1, x2, y2] = /** @type {number[]} */ (crop.crop_bbox); // Filtered above.
      const label = crop.manifest_tag ?? crop.detection_class ?? crop.extraction_role;
      return h("button", {
        type: "button",
        class: `box role-${crop.extraction_role ?? "object"}`,
        style: {
          left: `${(x1 / width) * 100}%`,
          top: `${(y1 / height) * 100}%`,
          width: `${((x2 - x1) / width) * 100}%`,
          height: `${((y2 - y1) / height) * 100}%`,
        },
        title: `${label}: ${crop.name}`,
        "aria-label": `Show ${label} (${crop.extraction_role ?? "crop"})`,
        dataset: { focusKey: `box-${crop.id}` },
        onclick: () => focusCard(crop.id),
      }, h("span", { class: "box-label" }, label));
    })
    : [];
  return h(
    "figure",
    { class: "photo" },
    h(
      "div",
      {
        class: "photo-frame",
        // The 256 px thumbnail made at upload shows at once while the sharper one loads.
        // Only called for an upload with a thumbnail.
        style: {
          "background-image": `url("${withToken(/** @type {string} */ (upload.thumbnail_url))}")`,
          ...(width && height ? { "aspect-ratio": `${width}/${height}` } : {}),
        },
      },
      h("img", {
        src: withToken(`/api/assets/${upload.id}/thumbnail?size=512`),
        alt: `${upload.name}, with ${boxes.length} detection boxes`,
      }),
      boxes,
    ),
    h(
      "figcaption",
      { class: "muted small legend" },
      h("span", { class: "key role-person" }, "person"),
      h("span", { class: "key role-face" }, "face"),
      h("span", { class: "key role-object" }, "object"),
      width ? h("span", null, `${width} × ${height} px`) : null,
    ),
  );
}

/**
 * Scrolls to an asset's card, focuses it and flashes it.
 * @param {string} assetId
 * @returns {boolean} whether the card exists
 */
export function focusCard(assetId) {
  const card = /** @type {HTMLElement | null} */ (
    document.querySelector(`.asset-card[data-asset-id="${CSS.escape(assetId)}"]`)
  );
  if (!card) return false;
  card.scrollIntoView({ behavior: "smooth", block: "center" });
  card.focus({ preventScroll: true });
  card.classList.remove("flash");
  void card.offsetWidth; // Restart the animation when the same card is shown twice.
  card.classList.add("flash");
  return true;
}
