/**
 * A shot list as CSV (RFC 4180) that spreadsheets open as they are: CRLF between records,
 * every field holding a comma, a quote or a line break quoted with its quotes doubled, and a
 * UTF-8 byte-order mark, without which Excel reads UTF-8 as the local code page.
 *
 * Written with `csv-stringify`. Its default only quotes a line break that is the record
 * delimiter, so `quoted_match` also quotes a bare LF or CR, which RFC 4180 requires.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { SHOT_LIST_COLUMNS, type ShotListRow } from "./shot_list.ts";

/** The text of the CSV file: the byte-order mark, the heading record, one record per scene. */
export function renderShotListCsv(rows: readonly ShotListRow[]): string {
  const records = rows.map((row) =>
    [
      String(row.scene),
      row.description,
      row.shot_type,
      row.camera_movement,
      row.placements.join("\n"),
      row.dialogue.join("\n"),
      row.sfx.join("\n"),
      row.music ?? "",
    ].map(inert)
  );
  return stringify([[...SHOT_LIST_COLUMNS], ...records], {
    bom: true,
    record_delimiter: "windows",
    quoted_match: /[\r\n]/,
  });
}

/**
 * A cell a spreadsheet will not run as a formula. The text comes from an LLM that read a
 * script, so a cell starting with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'`,
 * which spreadsheets treat as "text follows".
 */
function inert(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
