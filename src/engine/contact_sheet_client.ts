/**
 * The main thread's side of the contact sheet: the work itself runs in a pool worker.
 *
 * @module
 */
import type { ContactSheetRequest } from "../imaging/contact_sheet.ts";
import type { EnginePool } from "./engine_pool.ts";

export type { ContactSheetCell, ContactSheetRequest } from "../imaging/contact_sheet.ts";

/**
 * Composes the sheet in a worker of `pool` (started with `init.fonts`) and returns its JPEG.
 * Each cell's bytes are copied before they are transferred, so the caller's buffers stay usable.
 */
export function composeContactSheetIn(
  pool: EnginePool,
  request: ContactSheetRequest,
): Promise<Uint8Array> {
  const transfer: ArrayBuffer[] = [];
  // Only the fields the worker reads are sent: a cell may be a larger object, such as a row.
  const cells = request.cells.map(({ bytes, name, assetType, tag }) => {
    const copy = bytes ? bytes.slice() : null;
    if (copy) transfer.push(copy.buffer);
    return { bytes: copy, name, assetType, tag };
  });
  const { title, subtitle, firstNumber, page } = request;
  return pool.run(
    "contact_sheet.compose",
    { title, subtitle, firstNumber, page, cells },
    transfer,
  );
}
