import assert from "node:assert/strict";
import { BACKENDS, openTestDatabase } from "../../tests/_postgres.ts";
import type { Db } from "../db/database.ts";
import { assetsInDisplayOrder } from "./assets.ts";
import { listIdentities } from "./identities.ts";
import { assetListText, manifestDetailText } from "./manifest_text.ts";
import { getManifest } from "./manifests.ts";
import { assetToJson, identityToJson, manifestToJson } from "./serialize.ts";

const AT = "2026-11-24T10:00:00.000Z";

/** A manifest of `count` assets (more than one read's worth), some billed, two identities. */
async function seed(db: Db, count: number): Promise<string> {
  const manifestId = crypto.randomUUID();
  await db.insertInto("manifests").values({
    id: manifestId,
    name: 'Ünïcode "cast" ✓',
    description: "line one\nline two",
    created_at: AT,
    updated_at: AT,
  }).execute();
  const identities = [crypto.randomUUID(), crypto.randomUUID()];
  for (const [index, id] of identities.entries()) {
    await db.insertInto("identities").values({
      id,
      manifest_id: manifestId,
      name: `Person ${index + 1}`,
      created_at: AT,
    }).execute();
  }
  for (let i = 0; i < count; i += 100) {
    await db.insertInto("assets").values(
      Array.from({ length: Math.min(100, count - i) }, (_, k) => {
        const n = i + k;
        return {
          id: crypto.randomUUID(),
          manifest_id: manifestId,
          asset_type: n % 3 === 0 ? "CHARACTER" as const : "OBJECT" as const,
          name: `asset ${n} 😀`,
          manifest_tag: n % 5 === 0 ? null : `TAG_${n}`,
          sort_order: n % 40,
          source: n % 4 === 0 ? "uploaded" as const : "extracted" as const,
          detection_confidence: n % 4 === 0 ? null : (n % 97) / 100,
          reverse_prompt: n % 2 === 0 ? `a prompt for ${n}` : null,
          identity_id: n % 3 === 0 ? identities[n % 2] : null,
          face_embedding: n % 6 === 0 ? new Uint8Array(2048).fill(n % 256) : null,
          prompt_input_tokens: n % 7 === 0 ? 1000 + n : null,
          prompt_output_tokens: n % 7 === 0 ? 20 + n : null,
          created_at: AT,
          updated_at: AT,
        };
      }),
    ).execute();
  }
  return manifestId;
}

async function textOf(pieces: AsyncIterable<string>): Promise<string> {
  return (await Array.fromAsync(pieces)).join("");
}

for (const backend of BACKENDS) {
  Deno.test(`a manifest's detail and asset list are written as JSON.stringify would write them (${backend})`, async () => {
    const opened = await openTestDatabase(backend);
    try {
      const db = opened.db;
      const manifestId = await seed(db, 620);
      const assets = await assetsInDisplayOrder(db, manifestId);
      const sum = (key: "prompt_input_tokens" | "prompt_output_tokens") =>
        assets.reduce((total, asset) => total + (asset[key] ?? 0), 0);
      const expected = {
        ...manifestToJson(await getManifest(db, manifestId)),
        assets: assets.map(assetToJson),
        identities: (await listIdentities(db, manifestId)).map(identityToJson),
        token_usage: {
          input_tokens: sum("prompt_input_tokens"),
          output_tokens: sum("prompt_output_tokens"),
        },
      };
      assert.equal(expected.assets.length, 620);
      assert.ok(expected.token_usage.input_tokens > 0);
      assert.ok(expected.assets.some((asset) => asset.has_face_embedding));
      assert.equal(
        await textOf(await manifestDetailText(db, manifestId)),
        JSON.stringify(expected),
      );
      assert.equal(
        await textOf(await assetListText(db, manifestId)),
        JSON.stringify({ items: expected.assets }),
      );
    } finally {
      await opened.close();
    }
  });

  Deno.test(`an empty manifest's detail has empty lists and no tokens (${backend})`, async () => {
    const opened = await openTestDatabase(backend);
    try {
      const manifestId = await seed(opened.db, 0);
      const detail = JSON.parse(await textOf(await manifestDetailText(opened.db, manifestId)));
      assert.deepEqual(detail.assets, []);
      assert.equal(detail.identities.length, 2);
      assert.deepEqual(detail.token_usage, { input_tokens: 0, output_tokens: 0 });
      assert.equal(await textOf(await assetListText(opened.db, manifestId)), '{"items":[]}');
    } finally {
      await opened.close();
    }
  });
}

Deno.test("an unknown manifest is a 404 before any text", async () => {
  const opened = await openTestDatabase("sqlite");
  try {
    const unknown = crypto.randomUUID();
    for (const text of [manifestDetailText, assetListText]) {
      await assert.rejects(() => text(opened.db, unknown), { status: 404 });
    }
  } finally {
    await opened.close();
  }
});
