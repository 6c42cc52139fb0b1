/**
 * The ZIP library, configured once for the service: `@zip.js/zip.js` (its native build, which
 * inflates and deflates with the runtime's `CompressionStream`).
 *
 * @module
 */
import { configure } from "@zip.js/zip.js";

// Off: the library would start workers of its own from generated code. Images are stored,
// not deflated, and the text entries are small, so little compression work is left to move.
configure({ useWebWorkers: false });

export { TextReader, Uint8ArrayReader, ZipReader, ZipWriter } from "@zip.js/zip.js";
export type { FileEntry } from "@zip.js/zip.js";
