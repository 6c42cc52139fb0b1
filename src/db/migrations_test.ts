import assert from "node:assert/strict";
import { join } from "node:path";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { type Db, migrateToLatest, openDatabase } from "./database.ts";
import { migrationProvider } from "./migrations/index.ts";

const TABLES = [
  "manifests",
  "assets",
  "identities",
  "tag_counters",
  "contact_sheets",
  "jobs",
  "events",
  "projects",
  "scenes",
  "scene_manifests",
  "scene_audio_manifests",
] as const;

const NOW = "2026-01-01T00:00:00.000Z";

/** A migrated database in a fresh temporary directory, destroyed and deleted afterwards. */
async function withMigratedDb(use: (db: Db, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "migrations_test_" });
  const path = join(dir, "test.db");
  const db = openDatabase(path);
  try {
    await migrateToLatest(db);
    await use(db, path);
  } finally {
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

async function insertManifest(db: Db, id: string): Promise<void> {
  await sql`insert into manifests (id, name, created_at, updated_at)
    values (${id}, ${"Manifest " + id}, ${NOW}, ${NOW})`.execute(db);
}

async function insertAsset(
  db: Db,
  id: string,
  manifestId: string,
  fields: { tag?: string | null; sha?: string | null; identityId?: string | null } = {},
): Promise<void> {
  await sql`insert into assets
    (id, manifest_id, asset_type, name, manifest_tag, upload_sha256, identity_id,
     created_at, updated_at)
    values (${id}, ${manifestId}, ${"CHARACTER"}, ${"Asset " + id}, ${fields.tag ?? null},
      ${fields.sha ?? null}, ${fields.identityId ?? null}, ${NOW}, ${NOW})`.execute(db);
}

async function count(db: Db, table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`
    .execute(db);
  return Number(rows[0].n);
}

/** Asserts that `run` fails with a SQLite constraint error matching `pattern`. */
async function assertConstraint(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (error: Error) => {
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("migrateToLatest applies once and is a no-op on every later start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "migrations_test_" });
  const path = join(dir, "test.db");
  try {
    const db = openDatabase(path);
    try {
      const first = await migrateToLatest(db);
      assert.deepEqual(first, [
        "0001_initial",
        "0002_job_params",
        "0003_prompt_tokens",
        "0004_job_serial_key",
        "0005_contact_sheets",
      ]);
      assert.deepEqual(await migrateToLatest(db), []);
    } finally {
      await db.destroy();
    }
    // A restart opens the same file and must not re-run anything.
    const reopened = openDatabase(path);
    try {
      assert.deepEqual(await migrateToLatest(reopened), []);
      assert.equal(await count(reopened, "manifests"), 0);
    } finally {
      await reopened.destroy();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("all eleven tables exist", async () => {
  await withMigratedDb(async (db) => {
    const { rows } = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table'`.execute(db);
    const names = new Set(rows.map((row) => row.name));
    for (const table of TABLES) assert.ok(names.has(table), `table ${table} is missing`);
  });
});

Deno.test("scene tables have the composite primary key (project_id, scene_index)", async () => {
  await withMigratedDb(async (db) => {
    for (const table of ["scenes", "scene_manifests", "scene_audio_manifests"]) {
      const { rows } = await sql<{ name: string; pk: number }>`
        select name, pk from pragma_table_info(${table})`.execute(db);
      const key = rows.filter((row) => row.pk > 0).sort((a, b) => a.pk - b.pk).map((r) => r.name);
      assert.deepEqual(key, ["project_id", "scene_index"], table);
    }
  });
});

Deno.test("scene rows are unique per (project_id, scene_index)", async () => {
  await withMigratedDb(async (db) => {
    await sql`insert into projects (id, title, prompt, created_at, updated_at)
      values ('p1', 'Film', 'A prompt', ${NOW}, ${NOW})`.execute(db);
    const insert = (index: number) =>
      sql`insert into scene_manifests (project_id, scene_index, manifest_json, created_at)
        values ('p1', ${index}, '{}', ${NOW})`.execute(db);
    await insert(0);
    await insert(1);
    await assertConstraint(() => insert(1), /UNIQUE constraint failed/);
  });
});

Deno.test("a tag and an upload hash are unique within a manifest only", async () => {
  await withMigratedDb(async (db) => {
    await insertManifest(db, "m1");
    await insertManifest(db, "m2");
    await insertAsset(db, "a1", "m1", { tag: "CHAR_01", sha: "aa" });

    await assertConstraint(
      () => insertAsset(db, "a2", "m1", { tag: "CHAR_01", sha: "bb" }),
      /UNIQUE constraint failed: assets\.manifest_id, assets\.manifest_tag/,
    );
    await assertConstraint(
      () => insertAsset(db, "a3", "m1", { tag: "CHAR_02", sha: "aa" }),
      /UNIQUE constraint failed: assets\.manifest_id, assets\.upload_sha256/,
    );
    // The same tag and photo are fine in another manifest.
    await insertAsset(db, "a4", "m2", { tag: "CHAR_01", sha: "aa" });
    // Assets without a tag or an image (NULLs) do not collide.
    await insertAsset(db, "a5", "m1");
    await insertAsset(db, "a6", "m1");
    assert.equal(await count(db, "assets"), 4);
  });
});

Deno.test("deleting a manifest deletes its assets, identities and tag counters", async () => {
  await withMigratedDb(async (db) => {
    await insertManifest(db, "m1");
    await insertManifest(db, "m2");
    await sql`insert into identities (id, manifest_id, created_at)
      values ('i1', 'm1', ${NOW})`.execute(db);
    await insertAsset(db, "a1", "m1", { tag: "CHAR_01", identityId: "i1" });
    await insertAsset(db, "a2", "m1", { tag: "CHAR_02" });
    await insertAsset(db, "b1", "m2", { tag: "CHAR_01" });
    await sql`update identities set primary_asset_id = 'a1' where id = 'i1'`.execute(db);
    await sql`insert into tag_counters (manifest_id, prefix, last_number)
      values ('m1', 'CHAR', 2)`.execute(db);

    await sql`delete from manifests where id = 'm1'`.execute(db);

    const { rows } = await sql<{ id: string }>`select id from assets order by id`.execute(db);
    assert.deepEqual(rows.map((row) => row.id), ["b1"]);
    assert.equal(await count(db, "identities"), 0);
    assert.equal(await count(db, "tag_counters"), 0);
    assert.equal(await count(db, "manifests"), 1);
  });
});

Deno.test("a manifest a project uses cannot be deleted", async () => {
  await withMigratedDb(async (db) => {
    await insertManifest(db, "m1");
    await insertAsset(db, "a1", "m1", { tag: "CHAR_01" });
    await sql`insert into projects (id, title, prompt, manifest_id, created_at, updated_at)
      values ('p1', 'Film', 'A prompt', 'm1', ${NOW}, ${NOW})`.execute(db);

    await assertConstraint(
      () => sql`delete from manifests where id = 'm1'`.execute(db),
      /FOREIGN KEY constraint failed/,
    );
    // Nothing was half-deleted.
    assert.equal(await count(db, "manifests"), 1);
    assert.equal(await count(db, "assets"), 1);

    // Once the project lets go, the manifest can go.
    await sql`update projects set manifest_id = null where id = 'p1'`.execute(db);
    await sql`delete from manifests where id = 'm1'`.execute(db);
    assert.equal(await count(db, "manifests"), 0);
    assert.equal(await count(db, "assets"), 0);
  });
});

Deno.test("foreign keys are enforced on every connection", async () => {
  await withMigratedDb(async (db, path) => {
    const { rows } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
    assert.equal(Number(rows[0].foreign_keys), 1);
    await assertConstraint(
      () => insertAsset(db, "orphan", "no-such-manifest"),
      /FOREIGN KEY constraint failed/,
    );
    // A second connection to the same file enforces them too.
    const other = openDatabase(path);
    try {
      const again = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(other);
      assert.equal(Number(again.rows[0].foreign_keys), 1);
      const check = await sql`pragma foreign_key_check`.execute(other);
      assert.deepEqual(check.rows, []);
    } finally {
      await other.destroy();
    }
  });
});

Deno.test("0004 keys existing jobs by their params' manifest_id, else their target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "migrations_test_" });
  const db = openDatabase(join(dir, "test.db"));
  try {
    const migrator = new Migrator({ db, provider: migrationProvider });
    const before = await migrator.migrateTo("0003_prompt_tokens");
    assert.equal(before.error, undefined);
    const insert = (id: string, kind: string, target: string, params: string) =>
      sql`insert into jobs (id, kind, target_id, status, params, created_at)
        values (${id}, ${kind}, ${target}, 'succeeded', ${params}, ${NOW})`.execute(db);
    await insert(
      "j1",
      "reprocess_asset",
      "asset-1",
      '{"manifest_id":"m1","previous_status":"READY"}',
    );
    await insert("j2", "process_manifest", "m2", "{}");
    await insert("j3", "storyboard", "p1", '{"project_id":"p1","previous_status":"DRAFT"}');

    const migrated = await migrator.migrateTo("0004_job_serial_key");
    assert.equal(migrated.error, undefined);
    assert.deepEqual(migrated.results?.map((result) => result.migrationName), [
      "0004_job_serial_key",
    ]);
    const { rows } = await sql<{ id: string; serial_key: string; params: string }>`
      select id, serial_key, params from jobs order by id`.execute(db);
    assert.deepEqual(rows.map((row) => [row.id, row.serial_key]), [
      ["j1", "m1"],
      ["j2", "m2"],
      ["j3", "p1"],
    ]);
    assert.equal(rows[0].params, '{"manifest_id":"m1","previous_status":"READY"}', "kept as is");
    await assertConstraint(
      () =>
        sql`insert into jobs (id, kind, target_id, created_at)
          values ('j4', 'process_manifest', 'm3', ${NOW})`.execute(db),
      /NOT NULL constraint failed: jobs\.serial_key/,
    );
    const { rows: indexes } = await sql<{ name: string }>`
      select name from pragma_index_list('jobs') order by name`.execute(db);
    assert.deepEqual(indexes.map((row) => row.name).filter((name) => name.startsWith("jobs_")), [
      "jobs_serial_key_created",
      "jobs_status_created",
      "jobs_status_serial_key",
      "jobs_target",
    ]);

    const down = await migrator.migrateDown();
    assert.equal(down.error, undefined);
    const { rows: columns } = await sql<{ name: string }>`
      select name from pragma_table_info('jobs')`.execute(db);
    assert.ok(!columns.some((column) => column.name === "serial_key"));
  } finally {
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("0005 keeps a sheet drawn before pages as page 1, to be drawn again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "migrations_test_" });
  const db = openDatabase(join(dir, "test.db"));
  try {
    const migrator = new Migrator({ db, provider: migrationProvider });
    assert.equal((await migrator.migrateTo("0004_job_serial_key")).error, undefined);
    await insertManifest(db, "m1");
    await insertManifest(db, "m2");
    await sql`update manifests set contact_sheet_key = 'sheets/m1/abc.jpg' where id = 'm1'`
      .execute(db);
    for (const [id, image] of [["a1", "k1"], ["a2", "k2"], ["a3", null]] as const) {
      await insertAsset(db, id, "m1");
      await sql`update assets set image_key = ${image} where id = ${id}`.execute(db);
    }

    assert.deepEqual(await migrateToLatest(db), ["0005_contact_sheets"]);
    const { rows } = await sql<Record<string, unknown>>`
      select manifest_id, page, first_cell, last_cell, blob_key, fingerprint
      from contact_sheets`.execute(db);
    assert.deepEqual(rows, [{
      manifest_id: "m1",
      page: 1,
      first_cell: 1,
      last_cell: 2,
      blob_key: "sheets/m1/abc.jpg",
      fingerprint: "",
    }]);
    const { rows: errors } = await sql<{ contact_sheet_error: string | null }>`
      select contact_sheet_error from manifests`.execute(db);
    assert.deepEqual(errors.map((row) => row.contact_sheet_error), [null, null]);

    await assertConstraint(
      () =>
        sql`insert into contact_sheets (manifest_id, page, first_cell, last_cell, blob_key,
          fingerprint, created_at, updated_at)
          values ('m1', 1, 1, 2, 'sheets/m1/def.jpg', 'x', ${NOW}, ${NOW})`.execute(db),
      /UNIQUE constraint failed: contact_sheets\.manifest_id, contact_sheets\.page/,
    );
    await sql`delete from manifests where id = 'm1'`.execute(db);
    assert.equal(await count(db, "contact_sheets"), 0, "pages go with their manifest");

    const down = await migrator.migrateDown();
    assert.equal(down.error, undefined);
    const { rows: columns } = await sql<{ name: string }>`
      select name from pragma_table_info('manifests')`.execute(db);
    assert.ok(!columns.some((column) => column.name === "contact_sheet_error"));
  } finally {
    await db.destroy();
    await Deno.remove(dir, { recursive: true });
  }
});
