import type { Matrix } from '../../../models/matrix';
import { mulberry32, randNormal } from '../../../models/prng';

/** n rows of d independent standard normals (seeded). */
export function gaussian(n: number, d: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = randNormal(rng);
  return { data, rows: n, cols: d };
}

/** Copy of `m` with `extra` rows appended. */
export function withRows(m: Matrix, extra: number[][]): Matrix {
  const data = new Float32Array((m.rows + extra.length) * m.cols);
  data.set(m.data);
  extra.forEach((r, i) => data.set(r, (m.rows + i) * m.cols));
  return { data, rows: m.rows + extra.length, cols: m.cols };
}

export function rowOf(m: Matrix, r: number): Float32Array {
  return m.data.slice(r * m.cols, (r + 1) * m.cols);
}

/**
 * Rank-`rank` data in `d` dimensions: x = A·z + noise, z ~ N(0, I). Also returns `offManifold`,
 * a unit vector orthogonal to the column space of A (to build points off the manifold).
 */
export function lowRank(n: number, d: number, rank: number, noise: number, seed: number): { data: Matrix; basis: number[][]; offManifold: number[] } {
  const rng = mulberry32(seed);
  const basis = Array.from({ length: rank }, () => Array.from({ length: d }, () => randNormal(rng)));
  const data = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const z = Array.from({ length: rank }, () => randNormal(rng));
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < rank; k++) v += basis[k][j] * z[k];
      data[r * d + j] = v + noise * randNormal(rng);
    }
  }
  // Gram–Schmidt a random vector against the basis.
  let off = Array.from({ length: d }, () => randNormal(rng));
  const ortho: number[][] = [];
  for (const b of basis) {
    let u = [...b];
    for (const o of ortho) {
      const dot = u.reduce((s, v, j) => s + v * o[j], 0);
      u = u.map((v, j) => v - dot * o[j]);
    }
    const norm = Math.hypot(...u);
    ortho.push(u.map((v) => v / norm));
  }
  for (const o of ortho) {
    const dot = off.reduce((s, v, j) => s + v * o[j], 0);
    off = off.map((v, j) => v - dot * o[j]);
  }
  const norm = Math.hypot(...off);
  return { data: { data, rows: n, cols: d }, basis, offManifold: off.map((v) => v / norm) };
}

/** A·z for one latent vector z. */
export function onManifold(basis: number[][], z: number[]): number[] {
  const d = basis[0].length;
  return Array.from({ length: d }, (_, j) => basis.reduce((s, b, k) => s + b[j] * z[k], 0));
}
