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
