/**
 * Runs the bench hook in a process of its own, so that the resident set size it reports is
 * the export's alone (test modules share one process):
 *
 *     deno run -A tests/_measure_export.ts <DATA_DIR> <manifest id>
 *
 * Prints the measurement as JSON.
 *
 * @module
 */
import { openDatabase } from "../src/db/database.ts";
import { databasePath } from "../src/server.ts";
import { LocalBlobStore } from "../src/storage/blob_store.ts";
import { measureExport } from "../src/bundles/measure_export.ts";

const [dataDir, manifestId] = Deno.args;
const db = openDatabase(databasePath(dataDir));
try {
  const measured = await measureExport({ db, blobs: new LocalBlobStore(dataDir) }, manifestId);
  console.log(JSON.stringify(measured));
} finally {
  await db.destroy();
}
