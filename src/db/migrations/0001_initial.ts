/**
 * The initial schema: every table of docs/data-model.md.
 *
 * Written with Kysely's schema builder only, so SQLite and PostgreSQL run the same migration;
 * the few type names they spell differently come from `portableSchema`. Uniqueness that the service relies on for correctness under concurrency
 * (tags, duplicate uploads) is enforced here, not only in code.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { portableSchema } from "../dialect.ts";

/** Creates all tables and indexes. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const types = portableSchema(db);
  await db.schema.createTable("manifests").ifNotExists()
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("category", "text", (c) => c.notNull().defaultTo("CUSTOM"))
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("DRAFT"))
    .addColumn("contact_sheet_key", "text")
    .addColumn("contact_sheet_url", "text")
    .addColumn("asset_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema.createTable("identities").ifNotExists()
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn(
      "manifest_id",
      "text",
      (c) => c.notNull().references("manifests.id").onDelete("cascade"),
    )
    // assets does not exist yet: PostgreSQL gets this reference once it does (below).
    .addColumn(
      "primary_asset_id",
      "text",
      (c) => types.forwardReferences ? c.references("assets.id").onDelete("set null") : c,
    )
    .addColumn("name", "text")
    .addColumn("member_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema.createTable("assets").ifNotExists()
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn(
      "manifest_id",
      "text",
      (c) => c.notNull().references("manifests.id").onDelete("cascade"),
    )
    .addColumn("asset_type", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("manifest_tag", "text")
    .addColumn("user_tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("description", "text")
    .addColumn("source", "text", (c) => c.notNull().defaultTo("uploaded"))
    .addColumn("source_asset_id", "text", (c) => c.references("assets.id").onDelete("cascade"))
    .addColumn("extraction_role", "text")
    .addColumn("sort_order", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("image_key", "text")
    .addColumn("upload_sha256", "text")
    .addColumn("mime", "text")
    .addColumn("width", "integer")
    .addColumn("height", "integer")
    .addColumn("reference_image_url", "text")
    .addColumn("reverse_prompt", "text")
    .addColumn("visual_description", "text")
    .addColumn("quality_score", types.float)
    .addColumn("suggested_name", "text")
    .addColumn("prompt_provider", "text")
    .addColumn("detection_class", "text")
    .addColumn("detection_confidence", types.float)
    .addColumn("crop_bbox", "text")
    .addColumn("is_face_crop", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("face_embedding", types.binary)
    .addColumn("identity_id", "text", (c) => c.references("identities.id").onDelete("set null"))
    .addColumn("detected_at", "text")
    .addColumn("embedded_at", "text")
    .addColumn("prompted_at", "text")
    .addColumn("prompt_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  if (!types.forwardReferences) {
    await db.schema.alterTable("identities")
      .addForeignKeyConstraint(
        "identities_primary_asset_id_fkey",
        ["primary_asset_id"],
        "assets",
        ["id"],
        (c) => c.onDelete("set null"),
      ).execute();
  }
  await db.schema.createIndex("assets_manifest_tag_unique").ifNotExists()
    .on("assets").columns(["manifest_id", "manifest_tag"]).unique().execute();
  await db.schema.createIndex("assets_manifest_upload_unique").ifNotExists()
    .on("assets").columns(["manifest_id", "upload_sha256"]).unique().execute();
  await db.schema.createIndex("assets_source_asset").ifNotExists()
    .on("assets").column("source_asset_id").execute();
  await db.schema.createIndex("assets_identity").ifNotExists()
    .on("assets").column("identity_id").execute();

  await db.schema.createTable("tag_counters").ifNotExists()
    .addColumn(
      "manifest_id",
      "text",
      (c) => c.notNull().references("manifests.id").onDelete("cascade"),
    )
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("last_number", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("tag_counters_pk", ["manifest_id", "prefix"])
    .execute();

  await db.schema.createTable("jobs").ifNotExists()
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("target_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("queued"))
    .addColumn("current_step", "text")
    .addColumn("progress", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("error", "text")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("started_at", "text")
    .addColumn("finished_at", "text")
    .execute();
  await db.schema.createIndex("jobs_status_created").ifNotExists()
    .on("jobs").columns(["status", "created_at"]).execute();
  await db.schema.createIndex("jobs_target").ifNotExists()
    .on("jobs").columns(["target_id", "created_at"]).execute();

  await db.schema.createTable("events").ifNotExists()
    .addColumn("seq", types.serial, (c) => {
      const key = c.primaryKey();
      return types.serialNeedsAutoIncrement ? key.autoIncrement() : key;
    })
    .addColumn("job_id", "text")
    .addColumn("topic", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_topic_seq").ifNotExists()
    .on("events").columns(["topic", "seq"]).execute();

  await db.schema.createTable("projects").ifNotExists()
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("prompt", "text", (c) => c.notNull())
    .addColumn("style", "text")
    .addColumn("aspect_ratio", "text", (c) => c.notNull().defaultTo("16:9"))
    .addColumn("target_scene_count", "integer", (c) => c.notNull().defaultTo(3))
    // Restrict: a manifest a project grounds its storyboard on cannot vanish under it.
    .addColumn("manifest_id", "text", (c) => c.references("manifests.id").onDelete("restrict"))
    .addColumn("manifest_version", "integer")
    .addColumn("status", "text", (c) => c.notNull().defaultTo("DRAFT"))
    .addColumn("style_guide", "text")
    .addColumn("storyboard_raw", "text")
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("projects_manifest").ifNotExists()
    .on("projects").column("manifest_id").execute();

  await db.schema.createTable("scenes").ifNotExists()
    .addColumn(
      "project_id",
      "text",
      (c) => c.notNull().references("projects.id").onDelete("cascade"),
    )
    .addColumn("scene_index", "integer", (c) => c.notNull())
    .addColumn("scene_description", "text", (c) => c.notNull())
    .addColumn("key_details", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("start_frame_prompt", "text")
    .addColumn("end_frame_prompt", "text")
    .addColumn("video_motion_prompt", "text")
    .addColumn("transition_notes", "text")
    .addPrimaryKeyConstraint("scenes_pk", ["project_id", "scene_index"])
    .execute();

  await db.schema.createTable("scene_manifests").ifNotExists()
    .addColumn(
      "project_id",
      "text",
      (c) => c.notNull().references("projects.id").onDelete("cascade"),
    )
    .addColumn("scene_index", "integer", (c) => c.notNull())
    .addColumn("manifest_json", "text", (c) => c.notNull())
    .addColumn("composition_shot_type", "text")
    .addColumn("composition_camera_movement", "text")
    .addColumn("asset_tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("new_asset_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("scene_manifests_pk", ["project_id", "scene_index"])
    .execute();

  await db.schema.createTable("scene_audio_manifests").ifNotExists()
    .addColumn(
      "project_id",
      "text",
      (c) => c.notNull().references("projects.id").onDelete("cascade"),
    )
    .addColumn("scene_index", "integer", (c) => c.notNull())
    .addColumn("dialogue_json", "text")
    .addColumn("sfx_json", "text")
    .addColumn("ambient_json", "text")
    .addColumn("music_json", "text")
    .addColumn("audio_continuity_json", "text")
    .addColumn("speaker_tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("has_dialogue", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("has_music", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("scene_audio_manifests_pk", ["project_id", "scene_index"])
    .execute();
}

/** Drops every table (used only by tests that check the migration is reversible). */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (
    const table of [
      "scene_audio_manifests",
      "scene_manifests",
      "scenes",
      "projects",
      "events",
      "jobs",
      "tag_counters",
      "assets",
      "identities",
      "manifests",
    ]
  ) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
