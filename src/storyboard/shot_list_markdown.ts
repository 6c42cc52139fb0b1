/**
 * A shot list as a Markdown (GitHub-flavoured) document: a heading and one table row per
 * scene.
 *
 * @module
 */
import { SHOT_LIST_COLUMNS, type ShotListRow } from "./shot_list.ts";

/** The Markdown text: `# <title> — shot list`, then the table. */
export function renderShotListMarkdown(title: string, rows: readonly ShotListRow[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    `# ${escapeText(title)} — shot list`,
    "",
    line(SHOT_LIST_COLUMNS),
    line(SHOT_LIST_COLUMNS.map(() => "---")),
    ...rows.map((row) =>
      line([
        String(row.scene),
        cell([row.description]),
        cell([row.shot_type]),
        cell([row.camera_movement]),
        cell(row.placements),
        cell(row.dialogue),
        cell(row.sfx),
        cell(row.music === null ? [] : [row.music]),
      ])
    ),
    "",
  ].join("\n");
}

/** One table cell: its entries on separate lines (`<br>`), or `—` when there are none. */
function cell(entries: readonly string[]): string {
  const text = entries.map(escapeText).join("<br>");
  return text.trim() === "" ? "—" : text;
}

/**
 * Text that stays inside its cell and reads as written: a line break would end the row and
 * `|` the cell, and the text (written by an LLM from a script) must not bring its own HTML.
 * Backslashes are escaped first so that a `\` before an escaped `|` cannot undo it.
 */
function escapeText(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll("|", "\\|").replace(/\r\n|\r|\n/g, "<br>");
}
