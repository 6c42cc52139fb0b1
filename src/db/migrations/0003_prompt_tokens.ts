/**
 * Token usage of the reverse-prompt call that described each asset, so a manifest's cost can
 * be summed (the system this grew from had a cost column it never filled).
 *
 * @module
 */
import type { Kysely } from "kysely";

/** Adds `assets.prompt_input_tokens` and `assets.prompt_output_tokens`. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("assets").addColumn("prompt_input_tokens", "integer").execute();
  await db.schema.alterTable("assets").addColumn("prompt_output_tokens", "integer").execute();
}

/** Removes them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("assets").dropColumn("prompt_output_tokens").execute();
  await db.schema.alterTable("assets").dropColumn("prompt_input_tokens").execute();
}
