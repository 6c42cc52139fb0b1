/**
 * Synthetic face embeddings for the clustering benchmark, shaped like a real manifest's: many
 * people, each seen 2–8 times in different photos, several people per photo. Deterministic
 * for a seed.
 *
 * Each person gets a random unit direction in 512-d (random directions there are nearly
 * orthogonal: between-person cosine ≈ 0 ± 0.05). Each face of that person is
 * `a·person + √(1−a²)·noise`, normalised, with `a` drawn in [0.72, 0.9], so two faces of one
 * person have a cosine of about a₁·a₂ ∈ [0.52, 0.81] — the range ArcFace gives real photos
 * of one person — on either side of the service's 0.45 threshold only by noise.
 *
 * @module
 */
import { gaussian, mixSeed, type Random, seededRandom, uniform } from "./prng.ts";

/** Dimension of the service's face embeddings. */
export const EMBEDDING_DIM = 512;

/** A set of synthetic faces, in photo order (the faces of one photo are adjacent). */
export interface SyntheticFaces {
  readonly count: number;
  readonly dim: number;
  /** `count × dim` floats, each row L2-normalised. */
  readonly embeddings: Float32Array<ArrayBuffer>;
  /** The photo each face is in; no photo holds two faces of one person. */
  readonly photos: Int32Array<ArrayBuffer>;
  /** The person each face is of: the ground truth a clustering should find. */
  readonly people: Int32Array<ArrayBuffer>;
  readonly peopleCount: number;
  readonly photoCount: number;
}

/** Makes `count` faces for `seed`. */
export function syntheticFaces(count: number, seed: number, dim = EMBEDDING_DIM): SyntheticFaces {
  const random = seededRandom(mixSeed(seed, count));
  // People with 2–8 faces each (the last one takes what is left).
  const personOf: number[] = [];
  for (let person = 0; personOf.length < count; person++) {
    const faces = Math.min(2 + Math.floor(random() * 7), count - personOf.length);
    for (let i = 0; i < faces; i++) personOf.push(person);
  }
  const peopleCount = personOf.at(-1)! + 1;
  // About four faces per photo, and never one person twice in a photo.
  const photoPeople: Set<number>[] = Array.from(
    { length: Math.max(1, Math.ceil(count / 4)) },
    () => new Set(),
  );
  const photoOf = personOf.map((person) => {
    for (let tries = 0; tries < 20; tries++) {
      const photo = Math.floor(random() * photoPeople.length);
      if (!photoPeople[photo].has(person)) {
        photoPeople[photo].add(person);
        return photo;
      }
    }
    photoPeople.push(new Set([person]));
    return photoPeople.length - 1;
  });
  const order = personOf.map((_, i) => i).sort((a, b) => photoOf[a] - photoOf[b] || a - b);

  const centres = new Float32Array(peopleCount * dim);
  for (let person = 0; person < peopleCount; person++) {
    unitVector(random, centres.subarray(person * dim, (person + 1) * dim));
  }
  const embeddings = new Float32Array(count * dim);
  const noise = new Float32Array(dim);
  const photos = new Int32Array(count);
  const people = new Int32Array(count);
  order.forEach((face, row) => {
    const person = personOf[face];
    photos[row] = photoOf[face];
    people[row] = person;
    const a = uniform(random, 0.72, 0.9);
    const b = Math.sqrt(1 - a * a);
    const centre = centres.subarray(person * dim, (person + 1) * dim);
    const out = embeddings.subarray(row * dim, (row + 1) * dim);
    unitVector(random, noise);
    for (let k = 0; k < dim; k++) out[k] = a * centre[k] + b * noise[k];
    normalise(out);
  });
  return { count, dim, embeddings, photos, people, peopleCount, photoCount: photoPeople.length };
}

function unitVector(random: Random, out: Float32Array): void {
  for (let k = 0; k < out.length; k++) out[k] = gaussian(random);
  normalise(out);
}

function normalise(vector: Float32Array): void {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum) || 1;
  for (let k = 0; k < vector.length; k++) vector[k] /= norm;
}
