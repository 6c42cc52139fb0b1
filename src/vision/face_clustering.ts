/**
 * Face clustering into identities: average-linkage agglomeration over cosine similarity with
 * a cannot-link rule (two faces of one photo are never one person) and hand-locked groups
 * that stay exactly as the user left them. Pure: no I/O.
 *
 * The definition is the plain greedy loop — merge the most similar pair of clusters that may
 * merge while its average similarity reaches the threshold; ties go to the pair whose first
 * faces come first — computed without its O(n³) cost:
 *
 * - the face-to-face similarities are read once, in blocks of rows, into one triangle (O(n²)
 *   memory, the only quadratic part);
 * - only clusters linked by at least one face pair at or above the threshold can ever merge,
 *   because an average never exceeds its largest term: those links, with the sum of all
 *   similarities between the two clusters, are all the merge loop keeps, and a merge adds the
 *   sums of both halves (the Lance–Williams update of average linkage);
 * - candidate merges wait in a priority queue ordered like the plain loop's scan; an entry
 *   whose clusters changed since is dropped when it surfaces;
 * - cannot-link is checked on the clusters' photo sets, which a merge unites: a pair that may
 *   not merge never may again.
 *
 * @module
 */

/** Similarities of faces `start…end-1` with every face: `(end-start) × n` values, row-major. */
export type SimilarityRows = (
  start: number,
  end: number,
) => Float32Array | Float64Array | Promise<Float32Array | Float64Array>;

/** What {@linkcode clusterIndices} groups. */
export interface ClusterProblem {
  /** Number of faces. */
  readonly count: number;
  /** The photo of each face: faces with one photo never share a cluster. */
  readonly photos: ArrayLike<number>;
  /** Rows of the similarity matrix, asked for in blocks (it may not fit in memory at once). */
  readonly similarity: SimilarityRows;
  /** Minimum average similarity for two clusters to merge. */
  readonly threshold: number;
  /** Groups fixed by hand (face indices); they are neither merged nor grown. */
  readonly locked?: readonly (readonly number[])[];
  /** Rows asked of `similarity` at once. */
  readonly blockRows?: number;
}

/**
 * Groups faces (by index) into clusters: each cluster's indices ascending, clusters ordered
 * by their first index — deterministic for equal input.
 */
export async function clusterIndices(problem: ClusterProblem): Promise<number[][]> {
  const { count, threshold } = problem;
  const lockedFaces = new Set<number>();
  const clusters: number[][] = [];
  for (const group of problem.locked ?? []) {
    const members = group.filter((i) => i >= 0 && i < count && !lockedFaces.has(i));
    members.forEach((i) => lockedFaces.add(i));
    if (members.length > 0) clusters.push(members);
  }
  const free: number[] = [];
  for (let i = 0; i < count; i++) if (!lockedFaces.has(i)) free.push(i);
  for (const members of await agglomerate(free, problem, threshold)) clusters.push(members);
  return clusters.map((members) => members.sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
}

/** Average-linkage agglomeration of the faces `free` (ascending indices). */
async function agglomerate(
  free: readonly number[],
  problem: ClusterProblem,
  threshold: number,
): Promise<number[][]> {
  const m = free.length;
  if (m === 0) return [];
  const { similarity, edges } = await pairSimilarities(free, problem, threshold);
  const row = new Float64Array(m);
  for (let p = 0; p < m; p++) row[p] = p * m - (p * (p + 1)) / 2 - p - 1;
  const pair = (a: number, b: number) => similarity[a < b ? row[a] + b : row[b] + a];

  // Clusters are named by their first face's position, which is also the old loop's order.
  const members: number[][] = free.map((_, p) => [p]);
  const photos: Set<number>[] = free.map((face) => new Set([problem.photos[face]]));
  const version = new Int32Array(m);
  // Sums of similarities towards the clusters that share at least one pair at or above the
  // threshold: only those may ever merge, as an average never exceeds its largest term.
  const links: Map<number, number>[] = free.map(() => new Map());
  const queue = new MergeQueue();
  for (let e = 0; e < edges.length; e += 2) {
    const [a, b] = [edges[e], edges[e + 1]];
    const sum = pair(a, b);
    links[a].set(b, sum);
    links[b].set(a, sum);
    queue.push(sum, a, b, 0, 0);
  }
  const disjoint = (a: number, b: number) => {
    const [small, large] = photos[a].size < photos[b].size ? [a, b] : [b, a];
    for (const photo of photos[small]) if (photos[large].has(photo)) return false;
    return true;
  };
  const sumBetween = (a: number, b: number) => {
    let sum = 0;
    for (const x of members[a]) for (const y of members[b]) sum += pair(x, y);
    return sum;
  };

  while (queue.size > 0) {
    const top = queue.pop();
    const { a: p, b: q } = top;
    if (top.va !== version[p] || top.vb !== version[q] || !disjoint(p, q)) continue;
    // q joins p (p < q: the merged cluster keeps the smaller first face).
    const merged = new Map<number, number>();
    for (const k of new Set([...links[p].keys(), ...links[q].keys()])) {
      if (k === p || k === q) continue;
      const sum = (links[p].get(k) ?? sumBetween(k, p)) + (links[q].get(k) ?? sumBetween(k, q));
      merged.set(k, sum);
      links[k].delete(q);
      links[k].set(p, sum);
    }
    members[p].push(...members[q]);
    members[q] = [];
    for (const photo of photos[q]) photos[p].add(photo);
    links[p] = merged;
    links[q] = new Map();
    version[p]++;
    version[q]++;
    for (const [k, sum] of merged) {
      const score = sum / (members[p].length * members[k].length);
      if (score < threshold || !disjoint(p, k)) continue;
      const [a, b] = p < k ? [p, k] : [k, p];
      queue.push(score, a, b, version[a], version[b]);
    }
  }
  return members.filter((group) => group.length > 0).map((group) => group.map((p) => free[p]));
}

/** A candidate merge: its average similarity and the clusters' versions when it was made. */
interface Candidate {
  score: number;
  a: number;
  b: number;
  va: number;
  vb: number;
}

/**
 * Candidate merges, best first: highest average similarity, then the pair whose first faces
 * come first — the order in which the plain loop would find them. Stale entries (a cluster
 * changed since) are skipped when they surface.
 */
class MergeQueue {
  readonly #heap: Candidate[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(score: number, a: number, b: number, va: number, vb: number): void {
    const heap = this.#heap;
    heap.push({ score, a, b, va, vb });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  pop(): Candidate {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      while (true) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let first = i;
        if (l < heap.length && before(heap[l], heap[first])) first = l;
        if (r < heap.length && before(heap[r], heap[first])) first = r;
        if (first === i) break;
        [heap[i], heap[first]] = [heap[first], heap[i]];
        i = first;
      }
    }
    return top;
  }
}

function before(x: Candidate, y: Candidate): boolean {
  return x.score !== y.score ? x.score > y.score : x.a !== y.a ? x.a < y.a : x.b < y.b;
}

/**
 * The triangle of pair similarities of the faces `free` (in the precision `similarity`
 * gives), filled from blocks of rows so that only one block of the full matrix exists at a
 * time, and the pairs of different photos at or above the threshold, as position pairs.
 */
async function pairSimilarities(
  free: readonly number[],
  problem: ClusterProblem,
  threshold: number,
) {
  const m = free.length;
  const n = problem.count;
  const position = new Int32Array(n).fill(-1);
  free.forEach((face, p) => (position[face] = p));
  const blockRows = Math.max(1, problem.blockRows ?? Math.max(1, Math.floor(16_000_000 / n)));
  let similarity: Float32Array | Float64Array | null = null;
  const edges: number[] = [];
  let offset = 0;
  for (let start = 0; start < n; start += blockRows) {
    const end = Math.min(n, start + blockRows);
    const rows = await problem.similarity(start, end);
    similarity ??= rows instanceof Float64Array
      ? new Float64Array((m * (m - 1)) / 2)
      : new Float32Array((m * (m - 1)) / 2);
    for (let face = start; face < end; face++) {
      const p = position[face];
      if (p < 0) continue;
      const base = (face - start) * n;
      const photo = problem.photos[face];
      for (let q = p + 1; q < m; q++) {
        const other = free[q];
        const value = rows[base + other];
        similarity[offset++] = value;
        if (value >= threshold && problem.photos[other] !== photo) edges.push(p, q);
      }
    }
  }
  return { similarity: similarity ?? new Float64Array(0), edges };
}

/**
 * Similarity rows computed here, in JavaScript, from L2-normalised embeddings of `dim`
 * values each, one after the other in `embeddings`. Exact in double precision; fine for a few
 * hundred faces — larger sets are better served by a matrix product in ONNX Runtime.
 */
export function dotProductRows(embeddings: Float32Array, dim: number): SimilarityRows {
  const n = embeddings.length / dim;
  return (start, end) => {
    const out = new Float64Array((end - start) * n);
    for (let i = start; i < end; i++) {
      const a = i * dim;
      for (let j = 0; j < n; j++) {
        const b = j * dim;
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += embeddings[a + d] * embeddings[b + d];
        out[(i - start) * n + j] = dot;
      }
    }
    return out;
  };
}
