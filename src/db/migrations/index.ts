/**
 * Every migration, in order. Listed statically (not read from a folder) so the service
 * needs no directory listing permission and a bundler sees every file.
 *
 * @module
 */
import type { Migration, MigrationProvider } from "kysely/migration";
import * as initial from "./0001_initial.ts";
import * as jobParams from "./0002_job_params.ts";
import * as promptTokens from "./0003_prompt_tokens.ts";
import * as jobSerialKey from "./0004_job_serial_key.ts";
import * as contactSheets from "./0005_contact_sheets.ts";

const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  "0001_initial": initial,
  "0002_job_params": jobParams,
  "0003_prompt_tokens": promptTokens,
  "0004_job_serial_key": jobSerialKey,
  "0005_contact_sheets": contactSheets,
});

/** Hands Kysely's `Migrator` the project's migrations. */
export const migrationProvider: MigrationProvider = Object.freeze({
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
});
