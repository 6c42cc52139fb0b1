/**
 * The previous definition of face clustering, kept as the reference the O(n²) implementation
 * (src/vision/face_clustering.ts) is compared with: the plain greedy loop of average linkage
 * with cannot-link and locked groups, O(n³). Tests only.
 *
 * @module
 */
import type { ClusterFace, ClusterOptions } from "../../src/engine/face_clustering_client.ts";
import { cosineSimilarity } from "../../src/vision/face_embedder.ts";

export type { ClusterFace, ClusterOptions };

/**
 * Groups faces into identities. Returns each cluster's face ids, clusters ordered by their
 * first face's position in `faces`, members in input order — deterministic for equal input.
 */
export function clusterFaces(faces: readonly ClusterFace[], options: ClusterOptions): string[][] {
  const index = new Map(faces.map((face, i) => [face.id, i]));
  const lockedIds = new Set(options.locked?.flat() ?? []);
  interface Group {
    members: number[];
    photos: Set<string>;
    locked: boolean;
  }
  const groups: Group[] = [];
  for (const ids of options.locked ?? []) {
    const members = ids.map((id) => index.get(id)).filter((i): i is number => i !== undefined);
    if (members.length > 0) {
      groups.push({ members, photos: new Set(members.map((i) => faces[i].photoId)), locked: true });
    }
  }
  faces.forEach((face, i) => {
    if (!lockedIds.has(face.id)) {
      groups.push({ members: [i], photos: new Set([face.photoId]), locked: false });
    }
  });

  const n = faces.length;
  const similarity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = cosineSimilarity(faces[i].embedding, faces[j].embedding);
      similarity[i * n + j] = s;
      similarity[j * n + i] = s;
    }
  }
  const linkage = (a: Group, b: Group) => {
    let sum = 0;
    for (const i of a.members) for (const j of b.members) sum += similarity[i * n + j];
    return sum / (a.members.length * b.members.length);
  };
  const canMerge = (a: Group, b: Group) =>
    !a.locked && !b.locked && ![...a.photos].some((photo) => b.photos.has(photo));

  while (true) {
    let best = -Infinity;
    let pair: [number, number] | null = null;
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        if (!canMerge(groups[a], groups[b])) continue;
        const score = linkage(groups[a], groups[b]);
        if (score >= options.threshold && score > best) {
          best = score;
          pair = [a, b];
        }
      }
    }
    if (!pair) break;
    const [a, b] = pair;
    const merged = groups[a];
    merged.members.push(...groups[b].members);
    for (const photo of groups[b].photos) merged.photos.add(photo);
    groups.splice(b, 1);
  }
  return groups
    .map((group) => group.members.sort((x, y) => x - y))
    .sort((x, y) => x[0] - y[0])
    .map((members) => members.map((i) => faces[i].id));
}
