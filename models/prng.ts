/**
 * Seeded pseudo-random numbers for model training. Models must be reproducible (same seed + same
 * data = same weights), so nothing in models/ may call Math.random.
 */

/** A source of uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough statistical quality for sampling and splits. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Standard normal variate (Box–Muller; one of the pair is discarded for simplicity). */
export function randNormal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * k distinct indices from [0, n) in random order (partial Fisher–Yates), i.e. sampling without
 * replacement. `scratch` may be passed to avoid reallocating the index array per call.
 */
export function sampleWithoutReplacement(rng: Rng, n: number, k: number, scratch?: Int32Array): Int32Array {
  if (k > n) throw new RangeError(`cannot sample ${k} of ${n} without replacement`);
  const idx = scratch && scratch.length === n ? scratch : new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + randInt(rng, n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k);
}

/** A seeded permutation of [0, n). */
export function permutation(rng: Rng, n: number): Int32Array {
  return sampleWithoutReplacement(rng, n, n);
}

/** Derive an independent-looking 32-bit sub-seed (for e.g. per-layer initialisers) from a seed. */
export function deriveSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
