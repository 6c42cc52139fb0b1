/**
 * RGB rasters and the resampling the models need: resize, crop-and-stretch, affine warp.
 *
 * Pure functions over interleaved 8-bit RGB, so every preprocessing step can be tested
 * without a worker or a model. Resizing uses a triangle filter whose support grows with the
 * scale factor (like ImageMagick's and Pillow's bilinear), so downscaled inputs do not alias.
 *
 * @module
 */

/** An image as interleaved 8-bit RGB, row by row. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A source rectangle `[x1, y1, x2, y2]` in pixels; fractional edges are allowed. */
export type Rect = readonly [number, number, number, number];

/**
 * A 2-D affine map `[a, b, c, d, e, f]`: `x' = a·x + b·y + c`, `y' = d·x + e·y + f`.
 */
export type Affine = readonly [number, number, number, number, number, number];

/** Creates an image, checking that `data` holds exactly `width`×`height` RGB pixels. */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  if (data.length !== width * height * 3) {
    throw new Error(`Expected ${width * height * 3} RGB bytes for ${width}×${height}.`);
  }
  return { width, height, data };
}

/** Per output index: first source index and the normalised weights that follow it. */
interface FilterTaps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float32Array;
  readonly stride: number;
}

function filterTaps(from: number, to: number, outSize: number, srcSize: number): FilterTaps {
  const scale = (to - from) / outSize;
  const support = Math.max(1, scale);
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const centre = from + (i + 0.5) * scale - 0.5;
    const first = Math.max(0, Math.ceil(centre - support));
    const last = Math.min(srcSize - 1, Math.floor(centre + support));
    let total = 0;
    let n = 0;
    for (let s = first; s <= last && n < stride; s++, n++) {
      const w = Math.max(0, 1 - Math.abs(s - centre) / support);
      weights[i * stride + n] = w;
      total += w;
    }
    if (total === 0) {
      // The centre lies outside the image: repeat the nearest edge pixel.
      const edge = Math.min(srcSize - 1, Math.max(0, Math.round(centre)));
      start[i] = edge;
      count[i] = 1;
      weights[i * stride] = 1;
      continue;
    }
    for (let k = 0; k < n; k++) weights[i * stride + k] /= total;
    start[i] = first;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/**
 * Resamples the part `rect` of `image` to `width`×`height` (aspect not kept), filtering
 * separably: rows first, then columns.
 */
export function resample(image: RgbImage, rect: Rect, width: number, height: number): RgbImage {
  const horizontal = filterTaps(rect[0], rect[2], width, image.width);
  const vertical = filterTaps(rect[1], rect[3], height, image.height);
  let firstRow = image.height;
  let lastRow = -1;
  for (let y = 0; y < height; y++) {
    firstRow = Math.min(firstRow, vertical.start[y]);
    lastRow = Math.max(lastRow, vertical.start[y] + vertical.count[y] - 1);
  }
  const rows = lastRow - firstRow + 1;
  const temp = new Float32Array(rows * width * 3);
  const src = image.data;
  for (let r = 0; r < rows; r++) {
    const rowOffset = (firstRow + r) * image.width * 3;
    for (let x = 0; x < width; x++) {
      let red = 0, green = 0, blue = 0;
      const base = x * horizontal.stride;
      let s = rowOffset + horizontal.start[x] * 3;
      for (let k = 0; k < horizontal.count[x]; k++, s += 3) {
        const w = horizontal.weights[base + k];
        red += src[s] * w;
        green += src[s + 1] * w;
        blue += src[s + 2] * w;
      }
      const t = (r * width + x) * 3;
      temp[t] = red;
      temp[t + 1] = green;
      temp[t + 2] = blue;
    }
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const base = y * vertical.stride;
    const top = vertical.start[y] - firstRow;
    for (let x = 0; x < width; x++) {
      let red = 0, green = 0, blue = 0;
      let t = (top * width + x) * 3;
      for (let k = 0; k < vertical.count[y]; k++, t += width * 3) {
        const w = vertical.weights[base + k];
        red += temp[t] * w;
        green += temp[t + 1] * w;
        blue += temp[t + 2] * w;
      }
      const o = (y * width + x) * 3;
      out[o] = red + 0.5;
      out[o + 1] = green + 0.5;
      out[o + 2] = blue + 0.5;
    }
  }
  return { width, height, data: out };
}

/** The whole image stretched to `width`×`height`. */
export function resize(image: RgbImage, width: number, height: number): RgbImage {
  return resample(image, [0, 0, image.width, image.height], width, height);
}

/**
 * Warps `image` into a `width`×`height` output: output pixel (x, y) takes the source colour
 * at `toSource(x, y)` (bilinear; black outside the image). When the map shrinks the source,
 * each output pixel averages up to 4×4 samples so small outputs of large faces do not alias.
 */
export function warpAffine(
  image: RgbImage,
  toSource: Affine,
  width: number,
  height: number,
): RgbImage {
  const [a, b, c, d, e, f] = toSource;
  const scale = Math.sqrt(Math.abs(a * e - b * d));
  const samples = Math.min(4, Math.max(1, Math.ceil(scale)));
  const out = new Uint8Array(width * height * 3);
  const colour = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let red = 0, green = 0, blue = 0;
      for (let sy = 0; sy < samples; sy++) {
        const py = y + (sy + 0.5) / samples - 0.5;
        for (let sx = 0; sx < samples; sx++) {
          const px = x + (sx + 0.5) / samples - 0.5;
          bilinear(image, a * px + b * py + c, d * px + e * py + f, colour);
          red += colour[0];
          green += colour[1];
          blue += colour[2];
        }
      }
      const n = samples * samples;
      const o = (y * width + x) * 3;
      out[o] = red / n + 0.5;
      out[o + 1] = green / n + 0.5;
      out[o + 2] = blue / n + 0.5;
    }
  }
  return { width, height, data: out };
}

function bilinear(image: RgbImage, x: number, y: number, colour: number[]): void {
  colour[0] = colour[1] = colour[2] = 0;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  for (let j = 0; j < 2; j++) {
    const row = y0 + j;
    if (row < 0 || row >= image.height) continue;
    const wy = j === 0 ? 1 - fy : fy;
    for (let i = 0; i < 2; i++) {
      const col = x0 + i;
      if (col < 0 || col >= image.width) continue;
      const w = wy * (i === 0 ? 1 - fx : fx);
      const s = (row * image.width + col) * 3;
      colour[0] += image.data[s] * w;
      colour[1] += image.data[s + 1] * w;
      colour[2] += image.data[s + 2] * w;
    }
  }
}

/** How a photo was fitted into the square input. */
export interface Letterbox {
  readonly scale: number;
  readonly padX: number;
  readonly padY: number;
}

/** Fits `image` into a `size`×`size` square, aspect kept, centred on `padValue` grey. */
export function letterbox(
  image: RgbImage,
  size: number,
  padValue: number,
): { image: RgbImage; fit: Letterbox } {
  const scale = Math.min(size / image.width, size / image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const padX = Math.floor((size - width) / 2);
  const padY = Math.floor((size - height) / 2);
  const inner = resize(image, width, height);
  const data = new Uint8Array(size * size * 3).fill(padValue);
  for (let y = 0; y < height; y++) {
    data.set(
      inner.data.subarray(y * width * 3, (y + 1) * width * 3),
      ((y + padY) * size + padX) * 3,
    );
  }
  return { image: { width: size, height: size, data }, fit: { scale, padX, padY } };
}

/** The image mirrored left to right. */
export function flipHorizontal(image: RgbImage): RgbImage {
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const s = (y * image.width + x) * 3;
      const o = (y * image.width + image.width - 1 - x) * 3;
      out[o] = image.data[s];
      out[o + 1] = image.data[s + 1];
      out[o + 2] = image.data[s + 2];
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Planar (NCHW) floats `(value - mean) / std` for a model input, RGB order.
 */
export function toPlanar(image: RgbImage, mean: number, std: number): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = (image.data[i * 3] - mean) / std;
    out[plane + i] = (image.data[i * 3 + 1] - mean) / std;
    out[2 * plane + i] = (image.data[i * 3 + 2] - mean) / std;
  }
  return out;
}

/** Luma (ITU-R BT.601, as OpenCV's RGB→grey) of every pixel, scaled by `1 / divisor`. */
export function toGreyPlane(image: RgbImage, divisor: number): Float32Array {
  const out = new Float32Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) {
    const luma = 0.299 * image.data[i * 3] + 0.587 * image.data[i * 3 + 1] +
      0.114 * image.data[i * 3 + 2];
    out[i] = Math.round(luma) / divisor;
  }
  return out;
}
