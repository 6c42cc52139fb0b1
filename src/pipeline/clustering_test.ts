import assert from "node:assert/strict";
import { type ClusterFace, clusterFaces } from "./clustering.ts";

/** A unit vector at `degrees` in the plane (cosine of two = cos of their angle difference). */
function face(id: string, photoId: string, degrees: number): ClusterFace {
  const r = (degrees * Math.PI) / 180;
  return { id, photoId, embedding: Float32Array.from([Math.cos(r), Math.sin(r), 0]) };
}

Deno.test("similar faces from different photos form one identity", () => {
  const faces = [
    face("a1", "p1", 0),
    face("b1", "p1", 90),
    face("a2", "p2", 10),
    face("b2", "p3", 85),
  ];
  assert.deepEqual(clusterFaces(faces, { threshold: 0.45 }), [["a1", "a2"], ["b1", "b2"]]);
});

Deno.test("two faces of one photo never merge, however similar", () => {
  const faces = [face("twin1", "p1", 0), face("twin2", "p1", 1), face("other", "p2", 2)];
  const clusters = clusterFaces(faces, { threshold: 0.45 });
  assert.equal(clusters.length, 2);
  for (const cluster of clusters) {
    assert.ok(!(cluster.includes("twin1") && cluster.includes("twin2")));
  }
  // The third face joins the closer twin (1° away from twin2, 2° from twin1).
  assert.deepEqual(clusters, [["twin1"], ["twin2", "other"]]);
});

Deno.test("average linkage: a chain of small steps does not pull in a distant face", () => {
  // cos 60° = 0.5 ≥ 0.45 for neighbours, but the ends are 120° apart (cos = −0.5).
  const faces = [face("x", "p1", 0), face("y", "p2", 60), face("z", "p3", 120)];
  const clusters = clusterFaces(faces, { threshold: 0.45 });
  assert.equal(clusters.length, 2);
});

Deno.test("locked groups stay exactly as the user left them", () => {
  const faces = [face("a", "p1", 0), face("b", "p2", 170), face("c", "p3", 1)];
  // The user put a and b together and nothing else may join.
  const clusters = clusterFaces(faces, { threshold: 0.45, locked: [["a", "b"]] });
  assert.deepEqual(clusters, [["a", "b"], ["c"]]);
});

Deno.test("no faces, no clusters; ids in a locked group that no longer exist are ignored", () => {
  assert.deepEqual(clusterFaces([], { threshold: 0.45 }), []);
  assert.deepEqual(
    clusterFaces([face("a", "p1", 0)], { threshold: 0.45, locked: [["gone", "a"]] }),
    [["a"]],
  );
});
