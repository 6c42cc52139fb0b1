import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { shotListFilename, type ShotListRow } from "./shot_list.ts";
import { renderShotListCsv } from "./shot_list_csv.ts";
import { renderShotListMarkdown } from "./shot_list_markdown.ts";

const row = (fields: Partial<ShotListRow>): ShotListRow => ({
  scene: 1,
  description: "A street at night",
  shot_type: "wide_shot",
  camera_movement: "static",
  placements: ["CHAR_01 (subject, center)"],
  dialogue: [],
  sfx: [],
  music: null,
  ...fields,
});

Deno.test("CSV: BOM, CRLF, RFC 4180 quoting of commas, quotes, LF and CR; formulas made inert", () => {
  const text = renderShotListCsv([
    row({ description: 'a, "b"\nc\rd', dialogue: ["CHAR_01: Hi", "CHAR_02: Ho"] }),
    row({ scene: 2, description: '=HYPERLINK("x")', sfx: ["+1", "@a"], music: "-loud" }),
  ]);
  assert.ok(text.startsWith("\uFEFFScene,Description,"));
  assert.equal(text.split("\r\n").length, 4, "three records, each ending in CRLF");
  assert.ok(text.includes('"a, ""b""\nc\rd"'));
  const records: string[][] = parse(text, { bom: true, record_delimiter: ["\r\n"] });
  assert.equal(records[1][1], 'a, "b"\nc\rd');
  assert.equal(records[1][5], "CHAR_01: Hi\nCHAR_02: Ho");
  assert.equal(records[2][1], '\'=HYPERLINK("x")');
  assert.equal(records[2][6], "'+1\n@a", "only the start of a cell is read as a formula");
  assert.equal(records[2][7], "'-loud");
});

Deno.test("Markdown: one row per scene; pipes, backslashes, HTML and line breaks stay inside", () => {
  const text = renderShotListMarkdown("A <b>|</b> film", [
    row({ description: "left | right \\| still\nnext <script>" }),
    row({ scene: 2, placements: [], dialogue: ["CHAR_01: a", "CHAR_02: b"] }),
  ]);
  const lines = text.split("\n");
  assert.equal(lines[0], "# A &lt;b&gt;\\|&lt;/b&gt; film — shot list");
  const rows = lines.filter((line) => line.startsWith("|"));
  assert.equal(rows.length, 4);
  assert.ok(rows[2].includes("left \\| right \\\\\\| still<br>next &lt;script&gt;"));
  assert.ok(rows[3].includes("| — | CHAR_01: a<br>CHAR_02: b |"));
  for (const line of rows) assert.equal(line.split(/(?<!\\)\|/).length, 10, line);
});

Deno.test("shot-list file names are ASCII slugs of the title", () => {
  assert.equal(shotListFilename("Night walk", "csv"), "night-walk-shot-list.csv");
  assert.equal(shotListFilename('Café "Noir"; rm -rf /', "md"), "cafe-noir-rm-rf-shot-list.md");
  assert.equal(shotListFilename("夜", "csv"), "storyboard-shot-list.csv");
});
