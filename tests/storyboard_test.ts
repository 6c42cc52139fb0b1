/**
 * Manifest-aware storyboards written by the real `@google/genai` SDK
 * against a fake Gemini server, on a manifest the real pipeline processed. The fake answers
 * what each step needs: valid tags, alias tags, invented tags, scrambled indices, forbidden
 * declarations.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { databasePath } from "../src/server.ts";
import { EnhancedStoryboardOutput } from "../src/storyboard/schemas.ts";
import { B, type RecordedRequest, startFakeGemini } from "./fakes/fake_gemini.ts";
import { type FakeScene, storyboardAnswer } from "./fakes/storyboard_answer.ts";
import { startTestServer, type TestServer } from "./_harness.ts";
import { answerInTurn, generate, readRegistry, waitForStoryboard } from "./_storyboard.ts";
import {
  type AnyFrame,
  FrameRecorder,
  manifestWithPhotos,
  processAndWait,
  wsUrl,
} from "./_pipeline.ts";

// deno-lint-ignore no-explicit-any
type Any = Record<string, any>;

const SCRIPT = "Night. A woman walks down a rainy street, stops, and calls out to a friend.";

async function createProject(server: TestServer, body: Any): Promise<string> {
  const created = await server.json("POST", "/api/projects", {
    title: "Night walk",
    prompt: SCRIPT,
    target_scene_count: 3,
    ...body,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, "DRAFT");
  return created.body.id;
}

/** Rows of `table` for a project, read through a separate connection. */
function rowsOf(server: TestServer, table: string, projectId: string): Any[] {
  if (server.databaseUrl) {
    // PostgreSQL (TEST_DATABASE=postgres): the same rows as JSON, through psql.
    const query = `select coalesce(json_agg(t order by scene_index), '[]') from ${table} t ` +
      `where project_id = '${projectId}'`;
    const output = new Deno.Command("psql", { args: [server.databaseUrl, "-tAc", query] })
      .outputSync();
    return JSON.parse(new TextDecoder().decode(output.stdout));
  }
  const db = new DatabaseSync(databasePath(server.dataDir), { readOnly: true });
  try {
    return db.prepare(`select * from ${table} where project_id = ? order by scene_index`)
      .all(projectId) as Any[];
  } finally {
    db.close();
  }
}

/** Every `enum` under a property called `name` in a JSON schema. */
function enumsOf(schema: unknown, name: string): string[][] {
  const found: string[][] = [];
  const walk = (node: unknown, key: string | null) => {
    if (Array.isArray(node)) return node.forEach((item) => walk(item, key));
    if (!node || typeof node !== "object") return;
    const object = node as Record<string, unknown>;
    if (key === name && Array.isArray(object.enum)) found.push(object.enum as string[]);
    for (const [childKey, child] of Object.entries(object)) {
      // Keep the property name through anyOf/items wrappers of the same property.
      walk(child, ["anyOf", "oneOf", "items"].includes(childKey) ? key : childKey);
    }
  };
  walk(schema, null);
  return found;
}

function scenes(...tagLists: string[][]): FakeScene[] {
  return tagLists.map((tags) => ({ tags, speaks: true }));
}

Deno.test("manifest-aware storyboards: stored, constrained, repaired or refused — never guessed", async (t) => {
  const fake = await startFakeGemini();
  const server = await startTestServer({
    WORKERS: "2",
    REVERSE_PROMPT_PROVIDER: "local",
    GEMINI_API_KEY: "test-storyboard-key",
    GEMINI_BASE_URL: fake.url,
  });
  try {
    const { manifestId } = await manifestWithPhotos(server, ["sample2.jpg", "sample5.jpg"]);
    assert.equal((await processAndWait(server, manifestId)).status, "complete");
    const manifest = (await server.json("GET", `/api/manifests/${manifestId}`)).body;
    const registry = await readRegistry(server, manifestId);
    const [alias, aliasPrimary] = [...registry.aliasOf][0] ?? [];
    assert.ok(alias, `the demo manifest has an identity with aliases:\n${registry.text}`);
    const character = aliasPrimary;
    const other = registry.primary.find((tag) => tag !== character)!;
    assert.ok(other, "the registry has a second entry");

    let firstProject = "";
    let firstStoryboard: Any = {};

    await t.step(
      "1. a valid 3-scene storyboard is stored, and the read APIs return exactly it",
      async () => {
        const answer = storyboardAnswer(scenes([character, other], [other], [character]), {
          characterTag: character,
        });
        answerInTurn(fake, [answer]);
        firstProject = await createProject(server, { manifest_id: manifestId, style: "noir" });
        const frames = new FrameRecorder(wsUrl(server));
        await frames.opened;
        frames.send({ type: "subscribe", topics: [`project:${firstProject}`] });
        await frames.waitFor((f) => f.some((x) => x.type === "snapshot"));
        const final = await generate(server, firstProject);
        assert.equal(final.status, "complete", final.error);
        await frames.waitFor((f) => f.some((x) => x.type === "done"));
        await frames.close();
        const types = frames.frames.map((f: AnyFrame) => f.type);
        assert.equal(types[0], "snapshot");
        assert.equal(types.at(-1), "done");
        assert.equal(frames.frames.at(-1)!.status, "complete");
        const finished = frames.frames.filter((f) => f.type === "step" && f.state === "finished")
          .map((f) => f.step);
        assert.deepEqual(finished, ["registry", "writing", "validating", "saving"]);

        const project = (await server.json("GET", `/api/projects/${firstProject}`)).body;
        assert.equal(project.status, "READY");
        assert.equal(project.scene_count, 3);
        assert.equal(project.manifest_version, manifest.version);
        const expected = EnhancedStoryboardOutput.parse(answer);
        assert.deepEqual(project.style_guide, expected.style_guide);

        const stored = (await server.json("GET", `/api/projects/${firstProject}/storyboard`)).body;
        firstStoryboard = stored;
        assert.deepEqual(stored.scenes, expected.scenes, "stored exactly what was answered");
        assert.deepEqual(stored.characters, expected.characters);

        const sceneRows = rowsOf(server, "scenes", firstProject);
        const visualRows = rowsOf(server, "scene_manifests", firstProject);
        const audioRows = rowsOf(server, "scene_audio_manifests", firstProject);
        for (const rows of [sceneRows, visualRows, audioRows]) {
          assert.deepEqual(rows.map((r) => [r.project_id, r.scene_index]), [
            [firstProject, 0],
            [firstProject, 1],
            [firstProject, 2],
          ]);
        }
        for (const [i, scene] of stored.scenes.entries()) {
          const visual = JSON.parse(visualRows[i].manifest_json);
          assert.deepEqual(visual, scene.scene_manifest);
          assert.equal(visualRows[i].composition_shot_type, visual.composition.shot_type);
          assert.equal(
            visualRows[i].composition_camera_movement,
            visual.composition.camera_movement,
          );
          assert.deepEqual(JSON.parse(visualRows[i].asset_tags), [
            ...new Set(visual.placements.map((p: Any) => p.asset_tag)),
          ]);
          assert.equal(visualRows[i].new_asset_count, visual.new_asset_declarations?.length ?? 0);
          const audio = scene.audio_manifest;
          assert.deepEqual(JSON.parse(audioRows[i].dialogue_json), audio.dialogue_lines);
          assert.deepEqual(JSON.parse(audioRows[i].sfx_json), audio.sfx);
          assert.deepEqual(JSON.parse(audioRows[i].ambient_json ?? "null"), audio.ambient);
          assert.deepEqual(JSON.parse(audioRows[i].music_json ?? "null"), audio.music);
          assert.deepEqual(
            JSON.parse(audioRows[i].audio_continuity_json ?? "null"),
            audio.audio_continuity,
          );
          assert.deepEqual(JSON.parse(audioRows[i].speaker_tags), [
            ...new Set(audio.dialogue_lines.map((l: Any) => l.speaker_tag)),
          ]);
          assert.equal(audioRows[i].has_dialogue, audio.dialogue_lines.length > 0 ? 1 : 0);
          assert.equal(audioRows[i].has_music, audio.music ? 1 : 0);
          assert.equal(sceneRows[i].scene_description, scene.scene_description);
          const path = `/api/projects/${firstProject}/scenes/${i}`;
          // Each read returns the scene's manifest and, beside it, its denormalised columns.
          assert.deepEqual((await server.json("GET", `${path}/manifest`)).body, {
            ...scene.scene_manifest,
            asset_tags: JSON.parse(visualRows[i].asset_tags),
            shot_type: visual.composition.shot_type,
            camera_movement: visual.composition.camera_movement,
            new_asset_count: visualRows[i].new_asset_count,
          });
          assert.deepEqual((await server.json("GET", `${path}/audio`)).body, {
            ...audio,
            speaker_tags: JSON.parse(audioRows[i].speaker_tags),
            has_dialogue: audioRows[i].has_dialogue === 1,
            has_music: audioRows[i].has_music === 1,
          });
        }
        assert.equal(stored.scenes[2].audio_manifest.music, null, "a scene without music");
      },
    );

    await t.step("2. the request constrains every tag field to exactly the registry's tags", () => {
      assert.equal(fake.requests.length, 1);
      const request = fake.requests[0];
      const schema = request.generationConfig.responseJsonSchema;
      const tagEnums = [
        ...enumsOf(schema, "asset_tag"),
        ...enumsOf(schema, "speaker_tag"),
      ];
      assert.equal(tagEnums.length, 3, "placements, dialogue and characters");
      for (const tags of tagEnums) assert.deepEqual([...tags].sort(), [...registry.primary].sort());
      assert.ok(!tagEnums[0].includes(alias), "aliases are not offered");
      const declared = enumsOf(schema, "asset_type");
      assert.equal(declared.length, 1);
      assert.ok(!declared[0].includes("CHARACTER"), "the registry has characters");
      assert.ok(request.prompt.includes(registry.text.trim()), "the prompt carries the block");
      assert.ok(request.prompt.includes(SCRIPT));
      assert.equal(request.generationConfig.responseMimeType, "application/json");
    });

    await t.step("3. an alias tag is stored as its primary tag", async () => {
      answerInTurn(fake, [
        storyboardAnswer(scenes([alias, other], [alias]), { characterTag: alias }),
      ]);
      const project = await createProject(server, {
        manifest_id: manifestId,
        target_scene_count: 2,
      });
      assert.equal((await generate(server, project)).status, "complete");
      assert.equal(fake.requests.length, 1, "no repair was needed");
      const stored = (await server.json("GET", `/api/projects/${project}/storyboard`)).body;
      assert.equal(stored.characters[0].asset_tag, aliasPrimary);
      for (const scene of stored.scenes) {
        assert.equal(scene.scene_manifest.placements[0].asset_tag, aliasPrimary);
        assert.equal(scene.audio_manifest.dialogue_lines[0].speaker_tag, aliasPrimary);
      }
      const tags = rowsOf(server, "scene_manifests", project).map((r) => JSON.parse(r.asset_tags));
      assert.deepEqual(tags, [[aliasPrimary, other], [aliasPrimary]]);
      assert.ok(!JSON.stringify(stored).includes(`"${alias}"`));
    });

    await t.step(
      "4a. CHAR_99 once: the repair round-trip names it, and the final rows are valid",
      async () => {
        answerInTurn(fake, [
          storyboardAnswer(scenes([character], ["CHAR_99", other])),
          storyboardAnswer(scenes([character], [character, other])),
        ]);
        const project = await createProject(server, {
          manifest_id: manifestId,
          target_scene_count: 2,
        });
        const final = await generate(server, project);
        assert.equal(final.status, "complete", final.error);
        assert.equal(final.progress.repair_rounds, 1);
        assert.equal(fake.requests.length, 2);
        const repair: RecordedRequest = fake.requests[1];
        const turns = repair.body.contents as Any[];
        assert.deepEqual(turns.map((turn) => turn.role), ["user", "model", "user"]);
        const repairText = turns[2].parts[0].text as string;
        assert.match(repairText, /CHAR_99/);
        assert.match(repairText, /scenes\[1\]\.scene_manifest\.placements\[0\]\.asset_tag/);
        for (const tag of registry.primary) assert.ok(repairText.includes(tag), `lists ${tag}`);
        const stored = (await server.json("GET", `/api/projects/${project}/storyboard`)).body;
        assert.ok(!JSON.stringify(stored).includes("CHAR_99"));
        assert.deepEqual(
          rowsOf(server, "scene_manifests", project).map((r) => JSON.parse(r.asset_tags)),
          [[character], [character, other]],
        );
      },
    );

    await t.step(
      "4b. CHAR_99 twice: the job fails naming it; nothing is written, the old storyboard stays",
      async () => {
        answerInTurn(fake, [storyboardAnswer(scenes(["CHAR_99"], [other]))]);
        const fresh = await createProject(server, { manifest_id: manifestId });
        const failed = await generate(server, fresh);
        assert.equal(failed.status, "error");
        assert.match(failed.error, /CHAR_99/);
        assert.equal(fake.requests.length, 2, "one repair round-trip, no more");
        const project = (await server.json("GET", `/api/projects/${fresh}`)).body;
        assert.equal(project.status, "ERROR");
        assert.match(project.error, /CHAR_99/);
        for (const table of ["scenes", "scene_manifests", "scene_audio_manifests"]) {
          assert.equal(rowsOf(server, table, fresh).length, 0, table);
        }
        assert.equal((await server.json("GET", `/api/projects/${fresh}/storyboard`)).status, 404);
        const job = (await server.json("GET", `/api/jobs/${failed.job_id}`)).body;
        assert.equal(job.status, "failed");
        assert.match(job.error, /CHAR_99/);

        fake.reset();
        fake.setResponder(() => storyboardAnswer(scenes(["CHAR_99"])));
        const again = await generate(server, firstProject);
        assert.equal(again.status, "error");
        assert.match(again.error, /CHAR_99/);
        const kept = (await server.json("GET", `/api/projects/${firstProject}/storyboard`)).body;
        assert.deepEqual(kept, firstStoryboard, "the previous storyboard is intact");
        assert.equal(rowsOf(server, "scene_manifests", firstProject).length, 3);
      },
    );

    await t.step(
      "5. duplicate and out-of-order scene indices are stored 0…n-1 in array order",
      async () => {
        answerInTurn(fake, [storyboardAnswer([
          { tags: [other], index: 2 },
          { tags: [character], index: 2 },
          { tags: [other], index: 0 },
        ])]);
        const project = await createProject(server, { manifest_id: manifestId });
        assert.equal((await generate(server, project)).status, "complete");
        const stored = (await server.json("GET", `/api/projects/${project}/storyboard`)).body;
        assert.deepEqual(
          stored.scenes.map((s: Any) => [
            s.scene_index,
            s.scene_manifest.scene_index,
            s.audio_manifest.scene_index,
            s.scene_description,
          ]),
          [0, 1, 2].map((i) => [i, i, i, `Scene written at position ${i}`]),
        );
        assert.deepEqual(rowsOf(server, "scenes", project).map((r) => r.scene_description), [
          "Scene written at position 0",
          "Scene written at position 1",
          "Scene written at position 2",
        ]);
      },
    );

    await t.step(
      "6. a new CHARACTER while the registry has characters goes through the repair path",
      async () => {
        answerInTurn(fake, [
          storyboardAnswer([{
            tags: [other],
            declares: [{ name: "Stranger", asset_type: "CHARACTER" }],
          }]),
          storyboardAnswer([{
            tags: [other, character],
            declares: [{ name: "Lamp", asset_type: "PROP" }],
          }]),
        ]);
        const project = await createProject(server, {
          manifest_id: manifestId,
          target_scene_count: 1,
        });
        assert.equal((await generate(server, project)).status, "complete");
        assert.equal(fake.requests.length, 2);
        const repairText = (fake.requests[1].body.contents as Any[])[2].parts[0].text as string;
        assert.match(repairText, /new CHARACTER \("Stranger"\)/);
        const [row] = rowsOf(server, "scene_manifests", project);
        assert.equal(row.new_asset_count, 1);
        assert.equal(JSON.parse(row.manifest_json).new_asset_declarations[0].asset_type, "PROP");
      },
    );

    await t.step(
      "a second generation while one runs is refused; cancelling restores the project",
      async () => {
        fake.reset();
        fake.setPlan(B.slow(3_000));
        fake.setResponder(() => storyboardAnswer(scenes([character])));
        const started = await server.json("POST", `/api/projects/${firstProject}/storyboard`);
        assert.equal(started.status, 202);
        const twice = await server.json("POST", `/api/projects/${firstProject}/storyboard`);
        assert.equal(twice.status, 409);
        assert.equal(twice.body.error.code, "project_generating");
        assert.match(twice.body.error.message, new RegExp(started.body.job_id));
        const busy = await server.json("PUT", `/api/projects/${firstProject}`, { title: "New" });
        assert.equal(busy.status, 409);
        assert.equal((await server.json("DELETE", `/api/projects/${firstProject}`)).status, 409);
        const cancelled = await server.json("POST", `/api/jobs/${started.body.job_id}/cancel`);
        assert.equal(cancelled.status, 200);
        assert.equal((await waitForStoryboard(server, firstProject)).status, "cancelled");
        const project = (await server.json("GET", `/api/projects/${firstProject}`)).body;
        assert.equal(project.status, "ERROR", "back to the status it had before");
        assert.deepEqual(
          (await server.json("GET", `/api/projects/${firstProject}/storyboard`)).body,
          firstStoryboard,
        );
        fake.setPlan(B.ok());
      },
    );

    await t.step(
      "409 for a manifest that is not READY or still referenced; 4xx for bad input",
      async () => {
        const draft = (await server.json("POST", "/api/manifests", { name: "Empty" })).body.id;
        const onDraft = await createProject(server, { manifest_id: draft });
        const notReady = await server.json("POST", `/api/projects/${onDraft}/storyboard`);
        assert.equal(notReady.status, 409);
        assert.equal(notReady.body.error.code, "manifest_not_ready");
        assert.match(notReady.body.error.message, /DRAFT/);
        assert.equal((await server.json("GET", `/api/projects/${onDraft}`)).body.status, "DRAFT");

        const inUse = await server.json("DELETE", `/api/manifests/${manifestId}`);
        assert.equal(inUse.status, 409);
        assert.equal(inUse.body.error.code, "manifest_in_use");
        assert.match(inUse.body.error.message, /Night walk/);

        const before = server.countRows("projects");
        for (
          const body of [
            { title: "x", prompt: "y", target_scene_count: 0 },
            { title: "x", prompt: "y", target_scene_count: 21 },
            { title: "x", prompt: "y", aspect_ratio: "4:3" },
            { title: "", prompt: "y" },
            { title: "x" },
            { title: "x", prompt: "y", manifest_id: crypto.randomUUID() },
            { title: "x", prompt: "y", colour: "red" },
          ]
        ) {
          const reply = await server.json("POST", "/api/projects", body);
          assert.equal(reply.status, 422, JSON.stringify(body));
          assert.ok(reply.body.error.message.length > 10);
        }
        assert.equal(server.countRows("projects"), before, "nothing left behind");
        const noManifest = await createProject(server, {});
        const unusable = await server.json("POST", `/api/projects/${noManifest}/storyboard`);
        assert.equal(unusable.status, 422);
        assert.equal(unusable.body.error.code, "project_has_no_manifest");
        const pointed = await server.json("PUT", `/api/projects/${noManifest}`, {
          manifest_id: manifestId,
          title: "Renamed",
        });
        assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
        assert.equal(pointed.body.manifest_id, manifestId);
        assert.equal(pointed.body.title, "Renamed");
        assert.equal(pointed.body.target_scene_count, 3, "fields not sent are kept");
        for (const body of [{}, { manifest_id: crypto.randomUUID() }, { target_scene_count: 0 }]) {
          const reply = await server.json("PUT", `/api/projects/${noManifest}`, body);
          assert.equal(reply.status, 422, JSON.stringify(body));
        }
        assert.equal(
          (await server.json("GET", `/api/projects/${crypto.randomUUID()}`)).status,
          404,
        );
        assert.equal((await server.json("GET", `/api/projects/nope/storyboard`)).status, 404);
        const scene9 = await server.json("GET", `/api/projects/${firstProject}/scenes/9/manifest`);
        assert.equal(scene9.status, 404);
        assert.equal(scene9.body.error.code, "scene_not_found");
        const sceneX = await server.json("GET", `/api/projects/${firstProject}/scenes/x/audio`);
        assert.equal(sceneX.status, 422);
        const list = (await server.json("GET", `/api/projects?manifest_id=${manifestId}`)).body;
        assert.ok(list.items.every((p: Any) => p.manifest_id === manifestId));
        assert.ok(list.items.some((p: Any) => p.id === firstProject));

        assert.equal((await server.json("DELETE", `/api/projects/${onDraft}`)).status, 204);
        assert.equal((await server.json("DELETE", `/api/manifests/${draft}`)).status, 204);
      },
    );
  } finally {
    await server.close();
    await fake.close();
  }
});

Deno.test("without an LLM, generating a storyboard answers 503 naming GEMINI_API_KEY", async () => {
  const server = await startTestServer({ GEMINI_API_KEY: "" });
  try {
    const project = await createProject(server, {});
    const reply = await server.json("POST", `/api/projects/${project}/storyboard`);
    assert.equal(reply.status, 503);
    assert.equal(reply.body.error.code, "llm_not_configured");
    assert.match(reply.body.error.message, /GEMINI_API_KEY/);
    assert.equal(server.countRows("jobs"), 0, "no job was queued");
    assert.equal((await server.json("GET", `/api/projects/${project}`)).body.status, "DRAFT");
  } finally {
    await server.close();
  }
});
