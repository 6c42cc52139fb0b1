import assert from "node:assert/strict";
import { type ClusterFace, clusterFaces } from "../../tests/reference/naive_clustering.ts";
import { clusterIndices, dotProductRows } from "./face_clustering.ts";

/** The new implementation with the reference's signature: ids in, clusters of ids out. */
async function clusterByIds(
  faces: readonly ClusterFace[],
  options: { threshold: number; locked?: string[][] },
): Promise<string[][]> {
  const dim = faces[0]?.embedding.length ?? 0;
  const embeddings = new Float32Array(faces.length * dim);
  faces.forEach((face, i) => embeddings.set(face.embedding, i * dim));
  const photoIds = [...new Set(faces.map((face) => face.photoId))];
  const index = new Map(faces.map((face, i) => [face.id, i]));
  const clusters = await clusterIndices({
    count: faces.length,
    photos: faces.map((face) => photoIds.indexOf(face.photoId)),
    similarity: dotProductRows(embeddings, dim),
    threshold: options.threshold,
    locked: options.locked?.map((group) =>
      group.map((id) => index.get(id)).filter((i): i is number => i !== undefined)
    ),
    blockRows: 7,
  });
  return clusters.map((members) => members.map((i) => faces[i].id));
}

/** A unit vector at `degrees` in the plane (cosine of two = cos of their angle difference). */
function face(id: string, photoId: string, degrees: number): ClusterFace {
  const r = (degrees * Math.PI) / 180;
  return { id, photoId, embedding: Float32Array.from([Math.cos(r), Math.sin(r), 0]) };
}

Deno.test("similar faces from different photos form one identity", async () => {
  const faces = [
    face("a1", "p1", 0),
    face("b1", "p1", 90),
    face("a2", "p2", 10),
    face("b2", "p3", 85),
  ];
  assert.deepEqual(await clusterByIds(faces, { threshold: 0.45 }), [["a1", "a2"], ["b1", "b2"]]);
});

Deno.test("two faces of one photo never merge, however similar", async () => {
  const faces = [face("twin1", "p1", 0), face("twin2", "p1", 1), face("other", "p2", 2)];
  const clusters = await clusterByIds(faces, { threshold: 0.45 });
  assert.equal(clusters.length, 2);
  for (const cluster of clusters) {
    assert.ok(!(cluster.includes("twin1") && cluster.includes("twin2")));
  }
  // The third face joins the closer twin (1° away from twin2, 2° from twin1).
  assert.deepEqual(clusters, [["twin1"], ["twin2", "other"]]);
});

Deno.test("a merged cluster inherits both halves' photos for cannot-link", async () => {
  // a (p1) and b (p2) merge first; c shares p2 with b, so it may not join them even though it
  // is close to a, and it stays alone.
  const faces = [face("a", "p1", 0), face("b", "p2", 1), face("c", "p2", 5)];
  assert.deepEqual(await clusterByIds(faces, { threshold: 0.45 }), [["a", "b"], ["c"]]);
});

Deno.test("average linkage: a chain of small steps does not pull in a distant face", async () => {
  // cos 60° = 0.5 ≥ 0.45 for neighbours, but the ends are 120° apart (cos = −0.5).
  const faces = [face("x", "p1", 0), face("y", "p2", 60), face("z", "p3", 120)];
  const clusters = await clusterByIds(faces, { threshold: 0.45 });
  assert.equal(clusters.length, 2);
});

Deno.test("locked groups stay exactly as the user left them", async () => {
  const faces = [face("a", "p1", 0), face("b", "p2", 170), face("c", "p3", 1)];
  // The user put a and b together and nothing else may join.
  const clusters = await clusterByIds(faces, { threshold: 0.45, locked: [["a", "b"]] });
  assert.deepEqual(clusters, [["a", "b"], ["c"]]);
});

Deno.test("no faces, no clusters; ids in a locked group that no longer exist are ignored", async () => {
  assert.deepEqual(await clusterByIds([], { threshold: 0.45 }), []);
  assert.deepEqual(
    await clusterByIds([face("a", "p1", 0)], { threshold: 0.45, locked: [["gone", "a"]] }),
    [["a"]],
  );
});

/** A deterministic generator of uniform numbers in [0, 1). */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/**
 * `count` faces of `people` people, `dim` values each: a person's centre plus noise, so that
 * faces of one person are similar without being alike, and photos that hold several faces.
 */
export function syntheticFaces(
  count: number,
  options: { people: number; dim: number; noise: number; photos: number; seed: number },
): ClusterFace[] {
  const next = random(options.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  const centres = Array.from(
    { length: options.people },
    () => Float64Array.from({ length: options.dim }, gauss),
  );
  return Array.from({ length: count }, (_, i) => {
    const centre = centres[Math.floor(next() * options.people)];
    const values = centre.map((value) => value + options.noise * gauss());
    const norm = Math.hypot(...values);
    return {
      id: `f${i}`,
      photoId: `p${Math.floor(next() * options.photos)}`,
      embedding: Float32Array.from(values, (value) => value / norm),
    };
  });
}

for (
  const [count, people, dim, noise, seed] of [
    [500, 40, 64, 1.0, 2],
    [600, 20, 32, 1.3, 3],
    [520, 70, 512, 1.1, 5],
  ] as const
) {
  Deno.test(`same clusters as the previous definition: ${count} random faces of ${people} people (${dim}-d)`, async () => {
    const faces = syntheticFaces(count, { people, dim, noise, photos: count / 3, seed });
    const locked = [[faces[5].id, faces[17].id, faces[300].id], [faces[2].id]];
    const expected = clusterFaces(faces, { threshold: 0.45, locked });
    const merged = expected.filter((cluster) => cluster.length > 1).length;
    assert.ok(merged > count / 20, `only ${merged} clusters merged: the data tests too little`);
    assert.deepEqual(await clusterByIds(faces, { threshold: 0.45, locked }), expected);
  });
}
