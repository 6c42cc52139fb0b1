/**
 * The main thread's view of face clustering: faces by id in, clusters of ids out, while the
 * similarities and the agglomeration run in a pool worker (`faces.cluster`).
 *
 * @module
 */
import type { EnginePool } from "./engine_pool.ts";

/** A face to cluster. */
export interface ClusterFace {
  readonly id: string;
  /** The upload the face comes from; faces of one photo never share a cluster. */
  readonly photoId: string;
  /** L2-normalised embedding; every face's has the same length. */
  readonly embedding: Float32Array;
}

/** Options of {@linkcode clusterFaces}. */
export interface ClusterOptions {
  /** Minimum average cosine similarity for two clusters to merge. */
  readonly threshold: number;
  /** Groups fixed by hand (face ids); they are neither merged nor grown. */
  readonly locked?: readonly (readonly string[])[];
}

/**
 * Groups faces into identities in a worker. Returns each cluster's face ids, clusters
 * ordered by their first face's position in `faces`, members in input order.
 */
export async function clusterFaces(
  pool: EnginePool,
  faces: readonly ClusterFace[],
  options: ClusterOptions,
): Promise<string[][]> {
  if (faces.length === 0) return [];
  const dim = faces[0].embedding.length;
  const embeddings = new Float32Array(faces.length * dim);
  const photoNumber = new Map<string, number>();
  const photos = new Int32Array(faces.length);
  const index = new Map<string, number>();
  faces.forEach((face, i) => {
    if (face.embedding.length !== dim) {
      throw new Error(
        `Face ${face.id} has a ${face.embedding.length}-value embedding, not ${dim}.`,
      );
    }
    embeddings.set(face.embedding, i * dim);
    if (!photoNumber.has(face.photoId)) photoNumber.set(face.photoId, photoNumber.size);
    photos[i] = photoNumber.get(face.photoId)!;
    index.set(face.id, i);
  });
  const locked = (options.locked ?? []).map((group) =>
    group.map((id) => index.get(id)).filter((i): i is number => i !== undefined)
  );
  const clusters = await pool.run(
    "faces.cluster",
    { embeddings, dim, photos, threshold: options.threshold, locked },
    [embeddings.buffer, photos.buffer],
  );
  return clusters.map((members) => members.map((i) => faces[i].id));
}
