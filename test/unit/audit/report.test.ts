import { formatReport, SHOWN_FINDINGS } from '../../../src/cli/commands/audit';
import type { TenantReport } from '../../../src/audit/verify';

describe('audit verify report', () => {
  const finding = (i: number) => ({ kind: 'inserted' as const, message: `row ${i} is not sealed by this key` });

  test('a tenant failing on every row prints the first problems and how many more', () => {
    const bad: TenantReport = { tenant: 'acme', ok: false, rows: 0, erased: 0, from: 0, to: 160, findings: Array.from({ length: 160 }, (_, i) => finding(i + 1)) };
    const good: TenantReport = { tenant: 'beta', ok: true, rows: 12, erased: 0, from: 0, to: 12, findings: [] };
    const lines = formatReport([bad, good]).trimEnd().split('\n');
    expect(lines[0]).toBe('FAIL  acme: 160 problem(s), 0 rows sealed (positions 1-160)');
    expect(lines.slice(1, 1 + SHOWN_FINDINGS)).toEqual(Array.from({ length: SHOWN_FINDINGS }, (_, i) => `  inserted  row ${i + 1} is not sealed by this key`));
    expect(lines[1 + SHOWN_FINDINGS]).toBe(`  … ${160 - SHOWN_FINDINGS} more (--json lists every one)`);
    expect(lines[2 + SHOWN_FINDINGS]).toBe('ok    beta: 12 rows (positions 1-12)');
    expect(lines).toHaveLength(3 + SHOWN_FINDINGS);
  });

  test('a few problems are all printed', () => {
    const bad: TenantReport = { tenant: 'acme', ok: false, rows: 3, erased: 0, from: 0, to: 5, findings: [finding(4), finding(5)] };
    expect(formatReport([bad])).toBe('FAIL  acme: 2 problem(s), 3 rows sealed (positions 1-5)\n  inserted  row 4 is not sealed by this key\n  inserted  row 5 is not sealed by this key\n');
  });
});
