/**
 * One size of the clustering section, in a process of its own so its peak RSS is its own
 * and a clustering past the time limit can be stopped: a Worker busy in a synchronous loop
 * keeps running after `terminate()` under Deno 2.9, and keeps its process alive.
 *
 * ```sh
 * deno run --allow-read --allow-env --allow-sys scripts/bench/cluster_run.ts \
 *   --faces 1000 --seed 1 --threshold 0.45
 * ```
 *
 * Prints one JSON object ({@linkcode ClusterRun}) on stdout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startClusterer } from "./cluster_adapter.ts";
import { collectGarbage, rssMb, sampleRss } from "./memory.ts";
import { syntheticFaces } from "./synthetic_faces.ts";

/** What one run prints. */
export interface ClusterRun {
  readonly faces: number;
  readonly people: number;
  readonly photos: number;
  readonly via: string;
  readonly seconds: number;
  /** Clusters found, and how many people came out exactly as one cluster of their own. */
  readonly clusters: number;
  readonly peopleFoundExactly: number;
  /** RSS with the faces made and the clusterer started, just before clustering. */
  readonly rssBeforeMb: number;
  /**
   * Highest RSS of this process sampled during the clustering. Not maxrss: Linux keeps a
   * process's maxrss across fork and exec, so a child would report the bench's own peak.
   */
  readonly peakRssMb: number;
}

/** People whose faces form one cluster holding nobody else. */
export function exactPeople(people: Int32Array, labels: Int32Array): number {
  const clustersOf = new Map<number, Set<number>>();
  const peopleIn = new Map<number, Set<number>>();
  const add = (map: Map<number, Set<number>>, key: number, value: number) => {
    const set = map.get(key) ?? new Set<number>();
    set.add(value);
    map.set(key, set);
  };
  people.forEach((person, i) => {
    add(clustersOf, person, labels[i]);
    add(peopleIn, labels[i], person);
  });
  let exact = 0;
  for (const clusters of clustersOf.values()) {
    if (clusters.size === 1 && peopleIn.get([...clusters][0])!.size === 1) exact++;
  }
  return exact;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      faces: { type: "string" },
      seed: { type: "string", default: "1" },
      threshold: { type: "string", default: "0.45" },
    },
  });
  const faces = syntheticFaces(Number(values.faces), Number(values.seed));
  const people = faces.people.slice(); // the input's buffers are moved to the clusterer
  const clusterer = await startClusterer();
  collectGarbage();
  const rssBeforeMb = rssMb();
  // The clustering runs in a worker, so this thread is free to sample.
  const sampler = sampleRss(20);
  const start = performance.now();
  const { labels } = await clusterer.cluster({
    embeddings: faces.embeddings,
    dim: faces.dim,
    photos: faces.photos,
    threshold: Number(values.threshold),
  });
  const seconds = (performance.now() - start) / 1000;
  const peakRssMb = sampler.stop();
  clusterer.close();
  const run: ClusterRun = {
    faces: faces.count,
    people: faces.peopleCount,
    photos: faces.photoCount,
    via: clusterer.via,
    seconds: Math.round(seconds * 100) / 100,
    clusters: new Set(labels).size,
    peopleFoundExactly: exactPeople(people, labels),
    rssBeforeMb,
    peakRssMb,
  };
  console.log(JSON.stringify(run));
}

if (import.meta.main) await main();
