import { readFileSync } from 'node:fs';
import { parseConfig } from '../../config/load';
import type { KlaxonConfig } from '../../config/schema';
import { checkRunbooks } from '../../runbook/check';
import { runbookDirs } from '../../runbook/load';

export function summarise(config: KlaxonConfig): string {
  const lines = [`ok: ${Object.keys(config.tenants).length} tenant(s)`];
  for (const [name, t] of Object.entries(config.tenants)) {
    lines.push(
      `  ${name}: ${Object.keys(t.receivers).length} receiver(s), ${Object.keys(t.escalationPolicies).length} polic(ies), ` +
        `${t.routes.length} route(s), default policy ${t.defaultPolicy}, grouping by ${t.groupBy}`,
    );
  }
  return lines.join('\n');
}

/** `klaxon validate <file>`: every problem with its path and exit 1, or a summary and exit 0. */
export async function validate(args: string[]): Promise<number> {
  const file = args[0] ?? process.env.KLAXON_CONFIG ?? 'config/tenants.yaml';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const r = parseConfig(text);
  if (!r.ok) {
    process.stderr.write(`${file}: ${r.problems.length} problem(s)\n`);
    for (const p of r.problems) process.stderr.write(`${p.path}: ${p.message}\n`);
    return 1;
  }
  process.stdout.write(summarise(r.config) + '\n');
  // Runbooks are checked with the config: a broken one is left out at start, better found here.
  const dirs = runbookDirs(process.env.KLAXON_RUNBOOKS ?? './runbooks');
  const checked = checkRunbooks(dirs);
  const errors = checked.problems.filter((p) => !p.startsWith('('));
  for (const p of checked.problems) process.stderr.write(`${p}\n`);
  if (errors.length) {
    process.stderr.write(`runbooks: ${errors.length} problem(s)\n`);
    return 1;
  }
  process.stdout.write(`ok: ${checked.files} runbook(s) in ${dirs.join(', ')}\n`);
  return 0;
}
