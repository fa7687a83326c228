/**
 * Loader for labelled numeric CSV data sets (benchmarks and `klaxon model eval`): a header row, then
 * one row per sample with numeric cells; one column (default `label`) holds 0 = normal, 1 = anomaly.
 * Every error names the row (1-based line number in the file, header = line 1) and the column.
 */
import { readFileSync } from 'node:fs';
import type { Matrix } from './matrix';

export interface LabelledData {
  features: Matrix;
  labels: Uint8Array;
  featureNames: string[];
}

export interface CsvOptions {
  /** Name of the label column (default `label`). */
  label?: string;
}

/** Split one CSV line, honouring double-quoted cells (`"a,b"`, `""` for a literal quote). */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** Parse CSV text. `source` names the file in error messages. */
export function parseLabelledCsv(text: string, options: CsvOptions = {}, source = 'csv'): LabelledData {
  const labelName = options.label ?? 'label';
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0 || lines[0].trim() === '') throw new Error(`${source}: row 1: missing header row (file is empty)`);

  const header = splitLine(lines[0].replace(/^\uFEFF/, '')).map((h) => h.trim());
  header.forEach((h, i) => {
    if (h === '') throw new Error(`${source}: row 1, column ${i + 1}: empty column name in header`);
    if (header.indexOf(h) !== i) throw new Error(`${source}: row 1, column "${h}": duplicate column name in header`);
  });
  const labelCol = header.indexOf(labelName);
  if (labelCol < 0) {
    throw new Error(`${source}: row 1 (header): no label column "${labelName}" (columns: ${header.join(', ')})`);
  }
  if (header.length < 2) throw new Error(`${source}: row 1 (header): need at least one feature column besides "${labelName}"`);
  const featureNames = header.filter((_, i) => i !== labelCol);

  const dataLines: Array<{ line: string; lineNo: number }> = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() !== '') dataLines.push({ line: lines[i], lineNo: i + 1 });
  }
  if (dataLines.length === 0) throw new Error(`${source}: row 2: no data rows after the header`);

  const cols = featureNames.length;
  const data = new Float32Array(dataLines.length * cols);
  const labels = new Uint8Array(dataLines.length);
  dataLines.forEach(({ line, lineNo }, r) => {
    const cells = splitLine(line);
    if (cells.length !== header.length) {
      const col = header[Math.min(cells.length, header.length - 1)];
      throw new Error(`${source}: row ${lineNo}, column "${col}": expected ${header.length} cells, found ${cells.length}`);
    }
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      const raw = cells[i].trim();
      // Number('') is 0 and Number(' ') is 0, so reject blanks explicitly.
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) {
        throw new Error(`${source}: row ${lineNo}, column "${header[i]}": not a finite number: ${JSON.stringify(cells[i])}`);
      }
      if (i === labelCol) {
        if (v !== 0 && v !== 1) throw new Error(`${source}: row ${lineNo}, column "${header[i]}": label must be 0 or 1, got ${raw}`);
        labels[r] = v;
      } else {
        data[r * cols + c++] = v;
      }
    }
  });
  return { features: { data, rows: dataLines.length, cols }, labels, featureNames };
}

/** Read and parse a labelled CSV file. */
export function loadLabelledCsv(path: string, options: CsvOptions = {}): LabelledData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read file: ${(err as Error).message}`);
  }
  return parseLabelledCsv(text, options, path);
}
