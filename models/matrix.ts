/**
 * Row-major dense matrix used as the common input type of the models. Float32 because that is what
 * tfjs computes in; the tree models also build their thresholds from the float32-rounded data so
 * plain-TypeScript and tfjs scoring make exactly the same split decisions.
 */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export type MatrixLike = Matrix | ArrayLike<number>[];

function isMatrix(x: MatrixLike): x is Matrix {
  return !Array.isArray(x) && (x as Matrix).data instanceof Float32Array;
}

/** Copy (or pass through) rows into a Matrix, rejecting ragged rows and non-finite values. */
export function toMatrix(x: MatrixLike): Matrix {
  if (isMatrix(x)) {
    if (x.data.length !== x.rows * x.cols) throw new RangeError(`matrix data length ${x.data.length} != ${x.rows}x${x.cols}`);
    return x;
  }
  const rows = x.length;
  const cols = rows > 0 ? x[0].length : 0;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (row.length !== cols) throw new RangeError(`row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) {
      const v = row[c];
      if (!Number.isFinite(v)) throw new RangeError(`row ${r}, column ${c}: value ${v} is not finite`);
      data[r * cols + c] = v;
    }
  }
  return { data, rows, cols };
}

/** One row as a view (no copy). */
export function row(m: Matrix, r: number): Float32Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** Rows selected by index, copied into a new matrix. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const data = new Float32Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) data.set(row(m, idx[i]), i * m.cols);
  return { data, rows: idx.length, cols: m.cols };
}
