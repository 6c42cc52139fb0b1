import assert from "node:assert/strict";
import { generatePhotos } from "./photo_set.ts";
import { photoRecipe } from "./photo_recipe.ts";

Deno.test("photoRecipe is the same for a seed and stays within the edits that keep faces", () => {
  assert.deepEqual(photoRecipe(7, 3), photoRecipe(7, 3));
  assert.notDeepEqual(photoRecipe(7, 3), photoRecipe(8, 3));
  assert.notDeepEqual(photoRecipe(7, 3), photoRecipe(7, 3, 1));
  for (let index = 0; index < 200; index++) {
    const recipe = photoRecipe(1, index);
    for (const side of Object.values(recipe.crop)) assert.ok(side >= 0.01 && side <= 0.1);
    assert.ok(recipe.scale >= 0.7 && recipe.scale <= 1);
  }
});

Deno.test("generatePhotos yields distinct JPEGs, the same ones for the same seed", async () => {
  const first = [];
  for await (const photo of generatePhotos(7, 42)) first.push(photo);
  assert.deepEqual(first.map((photo) => photo.index), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(new Set(first.map((photo) => photo.sha256)).size, 7);
  for (const photo of first) assert.deepEqual([...photo.bytes.subarray(0, 2)], [0xff, 0xd8]);
  const again = [];
  for await (const photo of generatePhotos(2, 42)) again.push(photo.sha256);
  assert.deepEqual(again, first.slice(0, 2).map((photo) => photo.sha256));
});
