import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLabelledCsv, parseLabelledCsv } from '../../../models/csv';

describe('labelled CSV loader', () => {
  it('parses features and labels, dropping the label column from the features', () => {
    const d = parseLabelledCsv('a,label,b\r\n1,0,2.5\n-3e2,1,"4"\n\n');
    expect(d.featureNames).toEqual(['a', 'b']);
    expect(Array.from(d.labels)).toEqual([0, 1]);
    expect(d.features.rows).toBe(2);
    expect(d.features.cols).toBe(2);
    expect(Array.from(d.features.data)).toEqual([1, 2.5, -300, 4]);
  });

  it('uses the label column given by name', () => {
    const d = parseLabelledCsv('outlier,x\n1,5\n0,6\n', { label: 'outlier' });
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(Array.from(d.features.data)).toEqual([5, 6]);
  });

  it('names the row and column of a non-numeric cell', () => {
    expect(() => parseLabelledCsv('a,b,label\n1,2,0\n3,x,1\n', {}, 'data.csv')).toThrow(
      'data.csv: row 3, column "b": not a finite number: "x"',
    );
    expect(() => parseLabelledCsv('a,b,label\n1,,0\n')).toThrow(/row 2, column "b"/);
    expect(() => parseLabelledCsv('a,b,label\n1,NaN,0\n')).toThrow(/row 2, column "b"/);
  });

  it('names row 1 and the column when the label column is missing', () => {
    expect(() => parseLabelledCsv('a,b\n1,2\n', { label: 'label' }, 'f.csv')).toThrow(/f\.csv: row 1 .*no label column "label"/);
  });

  it('rejects labels other than 0/1, ragged rows and empty files with row and column', () => {
    expect(() => parseLabelledCsv('a,label\n1,2\n')).toThrow(/row 2, column "label": label must be 0 or 1/);
    expect(() => parseLabelledCsv('a,b,label\n1,2,0\n1,2\n')).toThrow(/row 3, column "label": expected 3 cells, found 2/);
    expect(() => parseLabelledCsv('')).toThrow(/row 1: missing header/);
    expect(() => parseLabelledCsv('a,label\n')).toThrow(/row 2: no data rows/);
  });

  it('reports unreadable files with their path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klaxon-csv-'));
    try {
      const path = join(dir, 'ok.csv');
      writeFileSync(path, 'x,label\n1,0\n2,1\n');
      expect(loadLabelledCsv(path).features.rows).toBe(2);
      expect(() => loadLabelledCsv(join(dir, 'missing.csv'))).toThrow(/missing\.csv: cannot read file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
