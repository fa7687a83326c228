import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configSchema, type KlaxonConfig } from './schema';
import { withEnv, type EnvSource } from './secret';
import { parseMatcher } from '../routing/matchers';

export interface ConfigProblem {
  path: string;
  message: string;
}

export type LoadResult = { ok: true; config: KlaxonConfig } | { ok: false; problems: ConfigProblem[] };

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: ConfigProblem[]) {
    super(`${file}: invalid configuration:\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/** Checks what a schema cannot: that names used in one place are defined in another. */
export function crossCheck(config: KlaxonConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [tenantName, t] of Object.entries(config.tenants)) {
    const at = `tenants.${tenantName}`;
    if (!t.escalationPolicies[t.defaultPolicy]) {
      problems.push({ path: `${at}.defaultPolicy`, message: `unknown escalation policy "${t.defaultPolicy}"` });
    }
    t.routes.forEach((r, i) => {
      if (!t.escalationPolicies[r.policy]) problems.push({ path: `${at}.routes.${i}.policy`, message: `unknown escalation policy "${r.policy}"` });
      r.matchers.forEach((m, j) => {
        try {
          parseMatcher(m);
        } catch (err) {
          problems.push({ path: `${at}.routes.${i}.matchers.${j}`, message: (err as Error).message });
        }
      });
    });
    for (const [policyName, p] of Object.entries(t.escalationPolicies)) {
      p.steps.forEach((step, i) => {
        if (!('notify' in step)) return;
        step.notify.receivers.forEach((r, j) => {
          if (!t.receivers[r]) problems.push({ path: `${at}.escalationPolicies.${policyName}.steps.${i}.notify.receivers.${j}`, message: `unknown receiver "${r}"` });
        });
      });
    }
    for (const [name, r] of Object.entries(t.receivers)) {
      if (r.fallback && !t.receivers[r.fallback]) problems.push({ path: `${at}.receivers.${name}.fallback`, message: `unknown receiver "${r.fallback}"` });
    }
  }
  return problems;
}

/** Parses and validates config text; every problem is reported with its path, not just the first. */
export function parseConfig(text: string, env: EnvSource = process.env): LoadResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // The first YAML error explains the rest (they cascade); `${VAR}` inside `{ }` needs quotes.
    const e = doc.errors[0];
    const hint = /flow-map|flow-seq/.test(e.message) ? ' (quote values like "${VAR}" inside { } or [ ])' : '';
    return { ok: false, problems: [{ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] + hint }] };
  }
  const parsed = withEnv(env, () => configSchema.safeParse(doc.toJS()));
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => ({ path: pathText(i.path), message: i.message })) };
  }
  const problems = crossCheck(parsed.data);
  return problems.length ? { ok: false, problems } : { ok: true, config: parsed.data };
}

export function loadConfigFile(file: string, env: EnvSource = process.env): KlaxonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message }]);
  }
  const r = parseConfig(text, env);
  if (!r.ok) throw new ConfigError(file, r.problems);
  return r.config;
}
