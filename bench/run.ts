/**
 * `npm run bench [-- section…]`: runs the benchmark sections (default: all), prints each one's
 * Markdown and writes BENCHMARKS.md. A section that is missing or throws is reported and the others
 * still run; the exit code is non-zero only when the ingest section fails.
 *
 * Sections not run this time keep their text from the existing BENCHMARKS.md, marked as earlier, and
 * hand-written notes between `<!-- notes -->` and `<!-- /notes -->` are kept as they are.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/paths';
import { machineDescription } from './support/machine';

interface Section {
  name: string;
  title: string;
  /** Imported only when the section runs, so one missing or broken module cannot stop the others. */
  run(): Promise<string>;
}

const SECTIONS: Section[] = [
  { name: 'ingest', title: 'Ingest and first notification', run: async () => (await import('./ingest')).benchIngest() },
  { name: 'models', title: 'Anomaly models', run: async () => callExport(await import('./models'), 'benchModels') },
  { name: 'notifiers', title: 'Notifiers', run: async () => callExport(await import('./notifiers'), 'benchNotifiers') },
  { name: 'escalation', title: 'Escalation timers', run: async () => callExport(await import('./escalation'), 'benchEscalation') },
  { name: 'runbooks', title: 'Runbooks', run: async () => callExport(await import('./runbooks'), 'benchRunbooks') },
  { name: 'codec', title: 'Payload encryption', run: async () => callExport(await import('./codec'), 'benchCodec') },
  // Last: it reads what ingest and escalation measured in this run.
  { name: 'scale', title: 'Scale targets (issue #11)', run: async () => callExport(await import('./scale'), 'benchScale') },
];
/** The section whose failure fails the run (the others are owned elsewhere and reported only). */
const REQUIRED = 'ingest';

const FILE = join(projectRoot, 'BENCHMARKS.md');
/** Hand-written notes (analysis, experiments) between these markers survive every run. */
const NOTES = ['<!-- notes -->', '<!-- /notes -->'];
const begin = (name: string) => `<!-- bench:${name} -->`;
const end = (name: string) => `<!-- /bench:${name} -->`;

async function callExport(mod: Record<string, unknown>, name: string): Promise<string> {
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`the module does not export ${name}()`);
  const out: unknown = await fn();
  if (typeof out !== 'string') throw new Error(`${name}() returned ${typeof out}, not a Markdown string`);
  return out;
}

/** The text between a section's markers in the existing file, if any. */
function previous(text: string, name: string): string | undefined {
  const a = text.indexOf(begin(name));
  const b = text.indexOf(end(name));
  if (a < 0 || b < a) return undefined;
  return text.slice(a + begin(name).length, b).trim();
}

function selectSections(args: string[]): Section[] {
  const wanted = args.filter((a) => a !== '--');
  if (wanted.length === 0) return SECTIONS;
  const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.name === w));
  if (unknown.length) {
    process.stderr.write(`unknown section(s): ${unknown.join(', ')}. Sections: ${SECTIONS.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => wanted.includes(s.name));
}

async function main(): Promise<void> {
  const selected = selectSections(process.argv.slice(2));
  const date = new Date();
  const results = new Map<string, { ok: true; markdown: string } | { ok: false; error: string }>();
  for (const section of selected) {
    const started = performance.now();
    process.stderr.write(`\n== ${section.name}\n`);
    try {
      const markdown = await section.run();
      results.set(section.name, { ok: true, markdown });
      process.stdout.write(`\n${markdown.trim()}\n`);
      process.stderr.write(`== ${section.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      const error = (err as Error)?.stack ?? String(err);
      results.set(section.name, { ok: false, error });
      process.stdout.write(`\nsection ${section.name} failed: ${(err as Error)?.message ?? String(err)}\n`);
      process.stderr.write(`${error}\n`);
    }
  }

  const old = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
  const body: string[] = [
    '# Benchmarks',
    '',
    `Last run: ${date.toISOString()} (sections: ${selected.map((s) => s.name).join(', ')}).`,
    '',
    `Machine: ${machineDescription()}.`,
    '',
  ];
  for (const section of SECTIONS) {
    const r = results.get(section.name);
    let text: string;
    if (r?.ok) text = r.markdown.trim();
    else if (r) text = `## ${section.title}\n\nsection ${section.name} failed in the run of ${date.toISOString()}: ${r.error.split('\n')[0]}`;
    else {
      const kept = previous(old, section.name);
      if (!kept) continue;
      text = kept.startsWith('_From an earlier run') ? kept : `_From an earlier run (not re-run on ${date.toISOString().slice(0, 10)}; its machine line may differ)._\n\n${kept}`;
    }
    body.push(begin(section.name), text, end(section.name), '');
  }
  // Written by `npm run chaos` (bench/chaos.ts), not by a section here: kept as it is.
  const chaos = previous(old, 'chaos');
  if (chaos) body.push(begin('chaos'), chaos, end('chaos'), '');
  const a = old.indexOf(NOTES[0]);
  const b = old.indexOf(NOTES[1]);
  if (a >= 0 && b > a) body.push(old.slice(a, b + NOTES[1].length), '');
  body.push(
    '## How to reproduce',
    '',
    `\`npm run bench\` (all sections) or \`npm run bench -- ${SECTIONS.map((x) => x.name).join(' ')}\` (any subset); ` +
      '`BENCH_N` (default 500) and `BENCH_C` (default 16) size the ingest run; `DATABASE_URL` switches the audit store from PGlite to Postgres, ' +
      '`BENCH_TEMPORAL_ADDRESS` (with `BENCH_TEMPORAL_PID` to count its CPU) uses a Temporal server of your own instead of the embedded dev server, and ' +
      '`BENCH_PROFILE=ingest.cpuprofile` writes a CPU profile of the main thread during the ingest burst. ' +
      'The re-send phase (g) uses `wrk` when it is installed (`apt-get install wrk`), else a Node child process (`BENCH_RESEND_CLIENT=node` forces it).',
    '',
  );
  writeFileSync(FILE, body.join('\n'));
  process.stderr.write(`\nwrote ${FILE}\n`);

  const required = results.get(REQUIRED);
  process.exitCode = required && !required.ok ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`bench harness failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
