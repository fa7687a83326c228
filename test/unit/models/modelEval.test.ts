import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelEval } from '../../../src/cli/commands/model-eval';
import { mulberry32, randNormal } from '../../../models/prng';
import { lowRank, onManifold } from './synthetic';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) }, out, err };
}

describe('klaxon model eval', () => {
  let dir: string;
  let csv: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'klaxon-model-eval-'));
    csv = join(dir, 'small.csv');
    // 300 normal rows on a rank-2 plane in 6 dimensions, 10 anomalies scattered off it; the label
    // column is named "outlier".
    const { data, basis } = lowRank(300, 6, 2, 0.05, 5);
    const rng = mulberry32(6);
    const lines = ['a,b,c,d,e,f,outlier'];
    for (let r = 0; r < data.rows; r++) lines.push(`${Array.from(data.data.subarray(r * 6, (r + 1) * 6)).join(',')},0`);
    for (let i = 0; i < 10; i++) {
      const p = onManifold(basis, [randNormal(rng), randNormal(rng)]).map((v) => v + 3 * randNormal(rng));
      lines.push(`${p.join(',')},1`);
    }
    writeFileSync(csv, lines.join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints exactly one JSON line with the metrics', async () => {
    const { io, out, err } = capture();
    const code = await modelEval(['--data', csv, '--label', 'outlier', '--model', 'iforest', '--seed', '7', '--json'], io);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]);
    expect(Object.keys(r)).toEqual(['rocAuc', 'prAuc', 'rows', 'model', 'backend', 'trainMs', 'scoreMs']);
    expect(r.rows).toBe(310);
    expect(r.model).toBe('iforest');
    expect(r.backend).toBe('js');
    expect(r.rocAuc).toBeGreaterThan(0.9);
    expect(r.prAuc).toBeGreaterThan(0.5);
    expect(r.trainMs).toBeGreaterThanOrEqual(0);
    expect(r.scoreMs).toBeGreaterThanOrEqual(0);
  });

  it.each(['autoencoder', 'ensemble'])('evaluates the %s with a tfjs backend', async (model) => {
    const { io, out } = capture();
    const code = await modelEval(['--data', csv, '--label', 'outlier', '--model', model, '--json'], io);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]);
    expect(r.model).toBe(model);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(r.backend);
    expect(r.rocAuc).toBeGreaterThan(0.95);
  });

  it('prints a table without --json', async () => {
    const { io, out } = capture();
    expect(await modelEval(['--data', csv, '--label', 'outlier', '--model', 'iforest'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/ROC AUC\s+0\.\d{4}\nPR AUC\s+0\.\d{4}/);
  });

  it('exits 2 on usage errors and 1 on data errors, with a message on stderr', async () => {
    let c = capture();
    expect(await modelEval(['--data', csv, '--model', 'forest'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--model must be one of iforest, autoencoder, ensemble/);
    expect(c.out).toEqual([]);

    c = capture();
    expect(await modelEval(['--model', 'iforest'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--data <csv> is required/);

    c = capture();
    expect(await modelEval(['--data', csv, '--model', 'iforest', '--seed', 'x'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/--seed must be an integer/);

    c = capture();
    expect(await modelEval(['--data', csv, '--model', 'iforest', '--bogus'], c.io)).toBe(2);

    c = capture();
    expect(await modelEval(['--data', csv, '--model', 'iforest', '--json'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/row 1 .*no label column "label"/);
    expect(c.out).toEqual([]);

    c = capture();
    expect(await modelEval(['--data', join(dir, 'nope.csv'), '--model', 'iforest'], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/nope\.csv: cannot read file/);
  });
});
