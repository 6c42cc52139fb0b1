/**
 * Face clustering in a real pool worker (ORT builds the similarities) gives the clusters of
 * the previous definition on real embeddings: the demo photos' faces, each seen again in
 * two dozen slightly different shots.
 */
import assert from "node:assert/strict";
import { fixturePhoto } from "../../tests/fixtures/photos.ts";
import { clusterFaces as referenceClusters } from "../../tests/reference/naive_clustering.ts";
import { visionInitFromCatalog } from "../vision/vision_init.ts";
import { startEnginePool } from "./engine_pool.ts";
import { type ClusterFace, clusterFaces } from "./face_clustering_client.ts";
import { analyzeImage } from "./vision_client.ts";

const PHOTOS = ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg"];
const SHOTS = 24;

Deno.test("faces.cluster in a worker matches the previous definition on 500+ real faces", async () => {
  const pool = startEnginePool({
    size: 1,
    name: "cluster-test",
    init: {
      vision: await visionInitFromCatalog({}),
    },
  });
  try {
    await pool.ready();
    const real: { photo: string; embedding: Float32Array }[] = [];
    for (const photo of [...PHOTOS, "sample6.jpg"]) {
      const analysis = await analyzeImage(pool, await fixturePhoto(photo), {
        objects: false,
        crops: false,
      });
      for (const face of analysis.faces) {
        if (face.embedding) real.push({ photo, embedding: face.embedding });
      }
    }
    assert.ok(real.length >= 20, `only ${real.length} real faces`);
    // Each shot sees every face again, a little different, as another photo would.
    let seed = 9;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    const faces: ClusterFace[] = [];
    for (let shot = 0; shot < SHOTS; shot++) {
      for (const [i, face] of real.entries()) {
        const values = Array.from(face.embedding, (value) => value + 0.03 * gauss());
        const norm = Math.hypot(...values);
        faces.push({
          id: `s${shot}f${i}`,
          photoId: `${shot}:${face.photo}`,
          embedding: Float32Array.from(values, (value) => value / norm),
        });
      }
    }
    assert.ok(faces.length >= 500);
    const locked = [[faces[3].id, faces[40].id]];
    const expected = referenceClusters(faces, { threshold: 0.45, locked });
    const actual = await clusterFaces(pool, faces, { threshold: 0.45, locked });
    assert.deepEqual(actual, expected);
    // Real people were found: far fewer identities than faces.
    assert.ok(actual.length < faces.length / 4, `${actual.length} clusters of ${faces.length}`);
  } finally {
    pool.close();
  }
});
