/**
 * The API's vocabularies (asset types, manifest categories), read once from `/openapi.json`
 * so the page offers exactly what the server accepts — src/registry/vocabulary.ts stays the
 * one place they are written.
 *
 * @module
 */

/**
 * The parts of the OpenAPI document read here.
 * @typedef {{ properties?: Record<string, { enum?: unknown }> }} ObjectSchema
 * @typedef {{ components?: { schemas?: Record<string, ObjectSchema> } }} OpenApi
 */

/** Asset types, filled by {@link loadVocabulary}. @type {string[]} */
export const ASSET_TYPES = [];

/** Manifest categories, filled by {@link loadVocabulary}. @type {string[]} */
export const CATEGORIES = [];

/** @type {Promise<void> | null} */
let loading = null;

/**
 * Fetches the OpenAPI document (it needs no token) once and fills the lists; every call
 * returns that one load. Pages that offer the lists await it before drawing them.
 * @returns {Promise<void>}
 */
export function loadVocabulary() {
  loading ??= fetchVocabulary();
  return loading;
}

async function fetchVocabulary() {
  const response = await fetch("/openapi.json");
  if (!response.ok) throw new Error(`The API description could not be read (${response.status}).`);
  const schemas = /** @type {OpenApi} */ (await response.json()).components?.schemas ?? {};
  ASSET_TYPES.splice(0, Infinity, ...enumOf(schemas.Asset, "asset_type"));
  CATEGORIES.splice(0, Infinity, ...enumOf(schemas.Manifest, "category"));
}

/**
 * @param {ObjectSchema | undefined} schema
 * @param {string} property
 * @returns {string[]}
 */
function enumOf(schema, property) {
  const values = schema?.properties?.[property]?.enum;
  if (!Array.isArray(values)) throw new Error(`The API description has no list of ${property}.`);
  return values;
}
