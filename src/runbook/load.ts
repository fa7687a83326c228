import { existsSync, readdirSync } from 'node:fs';
import { z } from 'zod';
import Module from 'node:module';
import { join, resolve } from 'node:path';
import { parseMatcher, type Matcher } from '../routing/matchers';
import { parseDuration } from '../config/duration';
import type { Runbook } from './define';
import { projectRoot } from '../paths';

/** A runbook file as the server and the activities see it: its definition, checked. */
export interface LoadedRunbook {
  file: string;
  runbook: Runbook;
  matchers: Matcher[];
  timeoutMs: number;
}

export interface RunbookSet {
  byName: Map<string, LoadedRunbook>;
  /** `<file>: <reason>` for every file that could not be used (the others still are). */
  errors: string[];
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DEFAULT_TIMEOUT_MS = 3_600_000;

/** KLAXON_RUNBOOKS: one folder or several (separated by `:`); missing folders hold no runbooks. */
export function runbookDirs(setting: string): string[] {
  return setting.split(':').filter(Boolean).map((d) => resolve(d));
}

/** The runbook files of the folders, in name order (`*.ts`, not `*.d.ts` or tests). */
export function runbookFiles(dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
          .sort()
          .map((f) => join(dir, f))
      : [],
  );
}

let mapped = false;
/**
 * Runbook files import `klaxon/runbook` and zod; in a folder outside this package Node would find
 * neither, so they resolve from Klaxon's own node_modules (as the bundler does).
 */
function mapKlaxonImport(): void {
  if (mapped) return;
  mapped = true;
  const target = require.resolve('./index');
  const m = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const original = m._resolveFilename;
  m._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === 'klaxon/runbook') return target;
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if (request.startsWith('.') || request.startsWith('/')) throw err;
      return require.resolve(request, { paths: [projectRoot] });
    }
  };
}

/** Loads and checks every runbook file; a bad file is reported and left out, never fatal. */
export function loadRunbooks(dirs: string[]): RunbookSet {
  mapKlaxonImport();
  const byName = new Map<string, LoadedRunbook>();
  const errors: string[] = [];
  for (const file of runbookFiles(dirs)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { default?: Runbook };
      const loaded = check(mod.default, file);
      const twin = byName.get(loaded.runbook.name);
      if (twin) throw new Error(`name "${loaded.runbook.name}" is already used by ${twin.file}`);
      byName.set(loaded.runbook.name, loaded);
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { byName, errors };
}

export function check(runbook: Runbook | undefined, file: string): LoadedRunbook {
  if (!runbook || typeof runbook !== 'object' || typeof runbook.run !== 'function') throw new Error('the file must `export default defineRunbook({...})`');
  if (typeof runbook.name !== 'string' || !NAME.test(runbook.name)) throw new Error(`name: "${runbook.name}" must be lower-case letters, digits and dashes (it is part of workflow ids)`);
  if (!['auto', 'suggest', 'manual'].includes(runbook.mode)) throw new Error(`mode: "${runbook.mode}" must be auto, suggest or manual`);
  if (!Array.isArray(runbook.match)) throw new Error('match: a list of matchers is required (e.g. ["alertname=\\"HighLatency\\""])');
  const matchers = runbook.match.map((m, i) => {
    try {
      return parseMatcher(m);
    } catch (err) {
      throw new Error(`match[${i}]: ${(err as Error).message}`);
    }
  });
  if (runbook.mode !== 'manual' && matchers.length === 0) throw new Error(`match: an ${runbook.mode} runbook needs at least one matcher (it would run for every incident)`);
  const timeoutMs = runbook.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(runbook.timeout);
  if (!timeoutMs) throw new Error(`timeout: "${runbook.timeout}" is not a duration (e.g. 30m)`);
  if (runbook.approval !== undefined) {
    if (runbook.mode !== 'suggest') throw new Error(`approval: only a suggest runbook asks before it runs (this one is ${runbook.mode}; call ctx.approve() in its body instead)`);
    if (runbook.approval.timeout !== undefined && !parseDuration(runbook.approval.timeout)) throw new Error(`approval.timeout: "${runbook.approval.timeout}" is not a duration (e.g. 15m)`);
    if (runbook.approval.onTimeout !== undefined && !['abort', 'escalate'].includes(runbook.approval.onTimeout)) throw new Error(`approval.onTimeout: "${runbook.approval.onTimeout}" must be abort or escalate`);
  }
  if (runbook.minFiredInLastHour !== undefined && !(Number.isInteger(runbook.minFiredInLastHour) && runbook.minFiredInLastHour >= 1)) {
    throw new Error(`minFiredInLastHour: ${runbook.minFiredInLastHour} must be a whole number of at least 1`);
  }
  const bad = runbook.params ? badDefaults(runbook.params) : [];
  if (bad.length) throw new Error(`params: a default does not fit its schema: ${bad.join('; ')}`);
  return { file, runbook, matchers, timeoutMs };
}

/** zod hands a `.default()` value out unchecked; a default that its own type refuses is a bug. */
function badDefaults(schema: z.ZodType): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const out: string[] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const def = (field as unknown as { _zod?: { def?: { type?: string; defaultValue?: unknown; innerType?: z.ZodType } } })._zod?.def;
    if (def?.type !== 'default' || !def.innerType) continue;
    const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
    const r = def.innerType.safeParse(value);
    if (!r.success) out.push(`${key}: default ${JSON.stringify(value)}: ${r.error.issues[0]?.message}`);
  }
  return out;
}
