import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's `prometheus` package ships promtool beside the server (.ci/run installs it). */
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';

export function promtool(args: string[], cwd?: string): { status: number; output: string } {
  if (!existsSync(PROMTOOL_BIN)) throw new Error(`${PROMTOOL_BIN} not found: install Debian's prometheus package (.ci/run does)`);
  const r = spawnSync(PROMTOOL_BIN, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/**
 * promtool parses PromQL only inside rule files: each expression becomes a recording rule of a
 * generated file, and `check rules` names the ones that do not parse.
 */
export function checkExpressions(exprs: string[]): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-promql-'));
  const rules = exprs.map((expr, i) => `      - record: klaxon_check:expr_${i}\n        expr: ${JSON.stringify(expr)}`).join('\n');
  writeFileSync(join(dir, 'exprs.yml'), `groups:\n  - name: exprs\n    rules:\n${rules}\n`);
  return promtool(['check', 'rules', join(dir, 'exprs.yml')]);
}
