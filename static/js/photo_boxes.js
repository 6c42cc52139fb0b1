/**
 * A photo with detection boxes drawn over it. Boxes are positioned in percent of the photo's
 * upright size (`crop_bbox` is in those pixels), so they follow the image at any size.
 *
 * @module
 */
import { withToken } from "./auth.js";
import { h } from "./dom.js";

/** @typedef {import("./api.js").Asset} Asset */

/**
 * The photo `upload` with one box per crop of `crops`; a box is a button when `onPick` is
 * given (it opens that crop).
 * @param {Asset} upload an upload with an image
 * @param {Asset[]} crops
 * @param {{ onPick?: (crop: Asset) => void, current?: string }} [options] `current` marks one
 *   crop's box as the one shown
 * @returns {HTMLElement}
 */
export function photoWithBoxes(upload, crops, options = {}) {
  const { width, height } = upload;
  const boxes = width && height
    ? crops.filter((c) => Array.isArray(c.crop_bbox)).map((crop) => {
      const [x1, y1, x2, y2] = /** @type {number[]} */ (crop.crop_bbox); // Filtered above.
      const label = crop.manifest_tag ?? crop.detection_class ?? crop.extraction_role ?? "crop";
      const props = {
        class: `box role-${crop.extraction_role ?? "object"}${
          crop.id === options.current ? " current" : ""
        }`,
        style: {
          left: `${(x1 / width) * 100}%`,
          top: `${(y1 / height) * 100}%`,
          width: `${((x2 - x1) / width) * 100}%`,
          height: `${((y2 - y1) / height) * 100}%`,
        },
        title: `${label}: ${crop.name}`,
        dataset: { focusKey: `box-${crop.id}`, assetId: crop.id },
      };
      const onPick = options.onPick;
      return onPick
        ? h("button", {
          ...props,
          type: "button",
          "aria-label": `Show ${label} (${crop.extraction_role ?? "crop"})`,
          onclick: () => onPick(crop),
        }, h("span", { class: "box-label" }, label))
        : h("span", props, h("span", { class: "box-label" }, label));
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
        style: {
          "background-image": `url("${withToken(`/api/assets/${upload.id}/thumbnail?size=256`)}")`,
          ...(width && height ? { "aspect-ratio": `${width}/${height}` } : {}),
        },
      },
      h("img", {
        src: withToken(`/api/assets/${upload.id}/thumbnail?size=512`),
        alt: boxes.length === 1
          ? `${upload.name}, with the box of ${crops[0].manifest_tag ?? "this crop"}`
          : `${upload.name}, with ${boxes.length} detection boxes`,
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
