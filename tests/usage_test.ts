/**
 * Where assets are used, on storyboards written through the fake Gemini against a manifest
 * the real pipeline processed: the scene listing and its filters, `GET /assets/{id}/usage`
 * (aliases included), the 409 that guards deleting or retyping a used asset, and the CSV and
 * Markdown shot lists (the CSV read back with `csv-parse`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { startFakeGemini } from "./fakes/fake_gemini.ts";
import { storyboardAnswer } from "./fakes/storyboard_answer.ts";
import { startTestServer, type TestServer } from "./_harness.ts";
import { manifestWithPhotos, processAndWait } from "./_pipeline.ts";
import { answerInTurn, generate, readRegistry } from "./_storyboard.ts";

// deno-lint-ignore no-explicit-any
type Any = Record<string, any>;

/** A description with a comma, quotes, a line break and a non-ASCII letter. */
const TRICKY = 'She whispers, "Stop"\nthen runs to the café';

async function createProject(
  server: TestServer,
  manifestId: string,
  title: string,
): Promise<string> {
  const created = await server.json("POST", "/api/projects", {
    title,
    prompt: "Night. A woman walks down a rainy street and calls out to a friend.",
    manifest_id: manifestId,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

/** The scene indices `GET /projects/{id}/scenes?<query>` lists. */
async function sceneIndices(server: TestServer, projectId: string, query: string) {
  const reply = await server.json("GET", `/api/projects/${projectId}/scenes?${query}`);
  assert.equal(reply.status, 200, `${query}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.total, reply.body.items.length);
  return reply.body.items.map((scene: Any) => scene.scene_index);
}

Deno.test("asset usage: scene filters, usage with aliases, 409 on delete and retype, shot lists", async (t) => {
  const fake = await startFakeGemini();
  const server = await startTestServer({
    WORKERS: "2",
    REVERSE_PROMPT_PROVIDER: "local",
    GEMINI_API_KEY: "test-usage-key",
    GEMINI_BASE_URL: fake.url,
  });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg", "sample5.jpg"]);
    assert.equal((await processAndWait(server, manifestId)).status, "complete");
    const registry = await readRegistry(server, manifestId);
    // C: a person with an alias A (a crop of the same identity); P: another registry entry.
    const [aliasTag, C] = [...registry.aliasOf][0] ?? [];
    assert.ok(aliasTag, `the demo manifest has an identity with aliases:\n${registry.text}`);
    const P = registry.primary.find((tag) => tag !== C)!;
    assert.ok(P, "the registry has a second entry");
    const assets: Any[] = (await server.json("GET", `/api/manifests/${manifestId}`)).body.assets;
    const byTag = (tag: string) => assets.find((asset) => asset.manifest_tag === tag)!;
    const alias = byTag(aliasTag);
    const placed = byTag(P);

    // Scene 0: P and C, P speaks, music. Scene 1: C alone, silent. Scene 2: C and P, C speaks.
    const answer = storyboardAnswer([
      { tags: [P, C], speaks: true },
      { tags: [C] },
      { tags: [C, P], speaks: true },
    ], { characterTag: C });
    (answer.scenes as Any[])[1].scene_description = TRICKY;
    answerInTurn(fake, [answer]);
    const night = await createProject(server, manifestId, "Night walk");
    assert.equal((await generate(server, night)).status, "complete");
    answerInTurn(fake, [storyboardAnswer([{ tags: [C] }])]);
    const another = await createProject(server, manifestId, "Another take");
    assert.equal((await generate(server, another)).status, "complete");
    const draft = await createProject(server, manifestId, "Not yet written");

    await t.step("the scene list carries each scene's columns", async () => {
      const { status, body } = await server.json("GET", `/api/projects/${night}/scenes`);
      assert.equal(status, 200);
      assert.deepEqual(body.items, [
        {
          scene_index: 0,
          scene_description: "Scene written at position 0",
          asset_tags: [P, C],
          shot_type: "wide_shot",
          camera_movement: "dolly_forward",
          new_asset_count: 0,
          speaker_tags: [P],
          has_dialogue: true,
          has_music: true,
        },
        {
          scene_index: 1,
          scene_description: TRICKY,
          asset_tags: [C],
          shot_type: "close_up",
          camera_movement: "static",
          new_asset_count: 0,
          speaker_tags: [],
          has_dialogue: false,
          has_music: false,
        },
        {
          scene_index: 2,
          scene_description: "Scene written at position 2",
          asset_tags: [C, P],
          shot_type: "wide_shot",
          camera_movement: "dolly_forward",
          new_asset_count: 0,
          speaker_tags: [C],
          has_dialogue: true,
          has_music: false,
        },
      ]);
      assert.equal(body.total, 3);
    });

    await t.step(
      "each filter, and filters together (AND), list exactly the right scenes",
      async () => {
        const cases: [string, number[]][] = [
          ["", [0, 1, 2]],
          [`asset_tag=${P}`, [0, 2]],
          [`asset_tag=${C}`, [0, 1, 2]],
          [`speaker_tag=${P}`, [0]],
          [`speaker_tag=${C}`, [2]],
          ["has_dialogue=true", [0, 2]],
          ["has_dialogue=false", [1]],
          ["has_music=true", [0]],
          ["has_music=false", [1, 2]],
          ["shot_type=close_up", [1]],
          ["shot_type=wide_shot", [0, 2]],
          ["shot_type=crane_up", []],
          [`asset_tag=${P}&has_dialogue=true`, [0, 2]],
          [`asset_tag=${P}&has_music=false`, [2]],
          [`asset_tag=${C}&has_dialogue=false`, [1]],
          [`asset_tag=${C}&speaker_tag=${C}`, [2]],
          [`shot_type=wide_shot&speaker_tag=${C}&has_music=false`, [2]],
          [`asset_tag=${C}&shot_type=wide_shot&has_music=true`, [0]],
          [`asset_tag=${P}&shot_type=close_up`, []],
          // Stored tags are primaries: an alias is never found, and nothing is a wildcard.
          [`asset_tag=${aliasTag}`, []],
          ["asset_tag=%25", []],
          ["asset_tag=CHAR_%25", []],
          ["speaker_tag=_", []],
        ];
        for (const [query, expected] of cases) {
          assert.deepEqual(await sceneIndices(server, night, query), expected, query);
        }
        assert.deepEqual(await sceneIndices(server, another, `asset_tag=${C}`), [0]);
        for (const query of ["has_dialogue=yes", "has_music=1", "has_dialogue=", "asset_tag="]) {
          const reply = await server.json("GET", `/api/projects/${night}/scenes?${query}`);
          assert.equal(reply.status, 422, query);
          assert.equal(reply.body.error.code, "validation_failed", query);
        }
        const unwritten = await server.json("GET", `/api/projects/${draft}/scenes`);
        assert.equal(unwritten.status, 404);
        assert.equal(unwritten.body.error.code, "storyboard_not_found");
        const unknown = await server.json("GET", `/api/projects/${crypto.randomUUID()}/scenes`);
        assert.equal(unknown.status, 404);
      },
    );

    let placedUsage: Any = {};
    let aliasUsage: Any = {};

    await t.step("usage: an asset placed in scenes 0 and 2 lists exactly those", async () => {
      const { status, body } = await server.json("GET", `/api/assets/${placed.id}/usage`);
      assert.equal(status, 200);
      placedUsage = body;
      assert.equal(body.asset_id, placed.id);
      assert.ok(body.tags.includes(P));
      assert.ok(!body.tags.includes(C), "another identity's tags are not counted");
      assert.deepEqual(body.projects, [{
        project_id: night,
        title: "Night walk",
        roles: ["placement", "speaker"],
        scenes: [
          { scene_index: 0, roles: ["placement", "speaker"] },
          { scene_index: 2, roles: ["placement"] },
        ],
      }]);
    });

    await t.step("usage: an alias crop counts through its identity's primary", async () => {
      const { status, body } = await server.json("GET", `/api/assets/${alias.id}/usage`);
      assert.equal(status, 200);
      aliasUsage = body;
      assert.ok(body.tags.includes(aliasTag) && body.tags.includes(C), body.tags.join());
      assert.deepEqual(body.projects, [
        {
          project_id: another,
          title: "Another take",
          roles: ["placement"],
          scenes: [{ scene_index: 0, roles: ["placement"] }],
        },
        {
          project_id: night,
          title: "Night walk",
          roles: ["placement", "speaker", "character"],
          scenes: [
            { scene_index: 0, roles: ["placement", "character"] },
            { scene_index: 1, roles: ["placement", "character"] },
            { scene_index: 2, roles: ["placement", "speaker", "character"] },
          ],
        },
      ]);
    });

    let unused: Any = {};
    await t.step("usage: an unused asset is used nowhere; an unknown one is 404", async () => {
      const created = await server.json("POST", `/api/manifests/${manifestId}/assets`, {
        name: "Street lamp",
        asset_type: "PROP",
      });
      assert.equal(created.status, 201);
      unused = created.body;
      const { status, body } = await server.json("GET", `/api/assets/${unused.id}/usage`);
      assert.equal(status, 200);
      assert.deepEqual(body, { asset_id: unused.id, tags: [unused.manifest_tag], projects: [] });
      const unknown = await server.json("GET", `/api/assets/${crypto.randomUUID()}/usage`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, "asset_not_found");
    });

    await t.step(
      "the CSV shot list parses with csv-parse: BOM, header, a row per scene",
      async () => {
        const response = await server.fetch(`/api/projects/${night}/storyboard.csv`);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
        assert.equal(
          response.headers.get("content-disposition"),
          'attachment; filename="night-walk-shot-list.csv"',
        );
        const bytes = new Uint8Array(await response.arrayBuffer());
        assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 byte-order mark");
        const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
        assert.ok(text.endsWith("\r\n"), "records end with CRLF");
        assert.ok(text.includes('"She whispers, ""Stop""\nthen runs'), "quoted, quotes doubled");
        // Only CRLF ends a record: a bare LF parsed as data proves the field was quoted.
        const records: string[][] = parse(text, { bom: true, record_delimiter: ["\r\n"] });
        assert.deepEqual(records[0], [
          "Scene",
          "Description",
          "Shot type",
          "Camera movement",
          "Placements",
          "Dialogue",
          "SFX",
          "Music",
        ]);
        assert.equal(records.length, 1 + 3, "a header and one row per scene");
        assert.deepEqual(records[1], [
          "1",
          "Scene written at position 0",
          "wide_shot",
          "dolly_forward",
          `${P} (subject, center)\n${C} (background, left)`,
          `${P}: Line 0`,
          "footsteps (throughout, subtle)",
          "ambient, tense, slow (piano) — fade in",
        ]);
        assert.equal(records[2][1], TRICKY, "comma, quotes and line break round-trip");
        assert.deepEqual(records[2].slice(4), [`${C} (subject, center)`, "", records[2][6], ""]);
        assert.equal(records[3][5], `${C}: Line 2`);
      },
    );

    await t.step("the Markdown shot list has a table row per scene", async () => {
      const response = await server.fetch(`/api/projects/${night}/storyboard.md`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/markdown/);
      assert.match(response.headers.get("content-disposition") ?? "", /night-walk-shot-list\.md/);
      const text = await response.text();
      assert.ok(text.startsWith("# Night walk — shot list\n"));
      const rows = text.split("\n").filter((line) => line.startsWith("|"));
      assert.equal(rows.length, 2 + 3, "heading, separator and one row per scene");
      assert.match(rows[0], /^\| Scene \| Description \| Shot type \| Camera movement \|/);
      assert.match(rows[1], /^\| --- \|/);
      assert.ok(rows[3].startsWith('| 2 | She whispers, "Stop"<br>then runs to the café |'));
      assert.ok(rows[2].includes(`${P} (subject, center)<br>${C} (background, left)`));
      for (const row of rows) assert.equal(row.split(" | ").length, 8, row);
    });

    await t.step("shot lists of a project without a storyboard answer 404", async () => {
      for (const extension of ["csv", "md"]) {
        const reply = await server.json("GET", `/api/projects/${draft}/storyboard.${extension}`);
        assert.equal(reply.status, 404);
        assert.equal(reply.body.error.code, "storyboard_not_found");
        assert.match(reply.body.error.message, /generate one/);
        const unknown = `/api/projects/${crypto.randomUUID()}/storyboard.${extension}`;
        assert.equal((await server.json("GET", unknown)).status, 404);
      }
    });

    await t.step(
      "retyping a used asset answers 409 naming the scenes; force retypes it",
      async () => {
        const refused = await server.json("PUT", `/api/assets/${alias.id}`, {
          asset_type: "OBJECT",
        });
        assert.equal(refused.status, 409);
        assert.equal(refused.body.error.code, "asset_in_use");
        assert.match(
          refused.body.error.message,
          /"Night walk" \(project [^,]+, scene indices 0, 1, 2\)/,
        );
        assert.match(refused.body.error.message, /"Another take" \(project [^,]+, scene index 0\)/);
        assert.match(refused.body.error.message, /force=true/);
        assert.deepEqual(refused.body.error.details, aliasUsage);
        const kept = (await server.json("GET", `/api/assets/${alias.id}`)).body;
        assert.equal(kept.manifest_tag, aliasTag);
        assert.equal(kept.asset_type, alias.asset_type);

        const renamed = await server.json("PUT", `/api/assets/${alias.id}`, {
          name: "Renamed crop",
          asset_type: alias.asset_type,
        });
        assert.equal(renamed.status, 200, "a change that keeps the tag is not guarded");
        assert.equal(renamed.body.manifest_tag, aliasTag);
        const vague = await server.json("PUT", `/api/assets/${alias.id}?force=yes`, {
          asset_type: "OBJECT",
        });
        assert.equal(vague.status, 422);

        const forced = await server.json("PUT", `/api/assets/${alias.id}?force=true`, {
          asset_type: "OBJECT",
        });
        assert.equal(forced.status, 200, JSON.stringify(forced.body));
        assert.equal(forced.body.asset_type, "OBJECT");
        assert.match(forced.body.manifest_tag, /^OBJ_\d+$/);
      },
    );

    await t.step(
      "deleting a used asset answers 409 and deletes nothing; force deletes it",
      async () => {
        const before = server.countRows("assets");
        for (const path of [`/api/assets/${placed.id}`, `/api/assets/${placed.id}?force=false`]) {
          const refused = await server.json("DELETE", path);
          assert.equal(refused.status, 409, path);
          assert.equal(refused.body.error.code, "asset_in_use");
          assert.match(
            refused.body.error.message,
            /"Night walk" \(project [^,]+, scene indices 0, 2\)/,
          );
          assert.deepEqual(refused.body.error.details.projects, placedUsage.projects);
        }
        assert.equal(server.countRows("assets"), before, "nothing deleted");
        assert.equal((await server.json("GET", `/api/assets/${placed.id}`)).status, 200);

        const forced = await server.json("DELETE", `/api/assets/${placed.id}?force=true`);
        assert.equal(forced.status, 204);
        assert.equal((await server.json("GET", `/api/assets/${placed.id}`)).status, 404);
        assert.ok(server.countRows("assets") < before);

        const plain = await server.json("DELETE", `/api/assets/${unused.id}`);
        assert.equal(plain.status, 204, "an unused asset is deleted as before");
        assert.equal((await server.json("GET", `/api/assets/${unused.id}`)).status, 404);
      },
    );
  } finally {
    await server.close();
    await fake.close();
  }
});
