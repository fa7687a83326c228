import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withCalendar } from '../oncall/ics';
import { parseDocument } from 'yaml';
import { configSchema, type KlaxonConfig, type NotifyTargets, type TenantConfig } from './schema';
import type { ReceiverConfig } from './receivers';
import { compileTemplate } from '../templates/render';
import { sampleRenderProblem } from '../templates/samples';
import { checkSchedules } from './schedules';
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

type Problems = ConfigProblem[];

function checkMatchers(problems: Problems, path: string, list: string[]): void {
  list.forEach((m, j) => {
    try {
      parseMatcher(m);
    } catch (err) {
      problems.push({ path: `${path}.${j}`, message: (err as Error).message });
    }
  });
}

function checkTargets(problems: Problems, path: string, t: TenantConfig, targets: NotifyTargets): void {
  const refs: Array<[keyof NotifyTargets, Record<string, unknown>, string]> = [
    ['receivers', t.receivers, 'receiver'],
    ['users', t.users, 'user'],
    ['schedules', t.schedules, 'schedule'],
  ];
  for (const [field, defined, what] of refs) {
    targets[field].forEach((name, j) => {
      if (!Object.hasOwn(defined, name)) problems.push({ path: `${path}.${field}.${j}`, message: `unknown ${what} "${name}"` });
    });
  }
}

function checkPolicy(problems: Problems, path: string, t: TenantConfig, policy: TenantConfig['escalationPolicies'][string]): void {
  policy.steps.forEach((step, i) => {
    const at = `${path}.steps.${i}`;
    if ('notify' in step) checkTargets(problems, `${at}.notify`, t, step.notify);
    if ('notifyIf' in step) {
      if (!Object.hasOwn(t.timeWindows, step.notifyIf.window)) problems.push({ path: `${at}.notifyIf.window`, message: `unknown time window "${step.notifyIf.window}"` });
      checkTargets(problems, `${at}.notifyIf.notify`, t, step.notifyIf.notify);
    }
    if ('repeat' in step && step.repeat.from >= i) {
      problems.push({ path: `${at}.repeat.from`, message: `must point to an earlier step (0..${i - 1})` });
    }
  });
}

function checkTemplates(problems: Problems, path: string, templates: Record<string, string>): void {
  for (const [name, source] of Object.entries(templates)) {
    try {
      compileTemplate(name, source);
    } catch (err) {
      problems.push({ path: `${path}.${name}`, message: (err as Error).message });
      continue;
    }
    // Compiling is not enough: a field the group may lack fails at render time, when it pages.
    const problem = sampleRenderProblem(name, source);
    if (problem) problems.push({ path: `${path}.${name}`, message: problem });
  }
}

/**
 * A push rule reaches the person's own address on the `userChannels.push` receiver: an ntfy topic,
 * or for Pushover a user key ("30 characters long, case-sensitive … [A-Za-z0-9]",
 * https://pushover.net/api#identifiers), checked here so a typo fails validation, not a page.
 */
function pushProblems(where: string, userId: string, address: string | undefined, receiver: ReceiverConfig | undefined): ConfigProblem[] {
  if (!address) return [{ path: where, message: `${userId} has no push address (an ntfy topic or Pushover user key) to reach by push` }];
  if (receiver?.type === 'pushover' && !/^[A-Za-z0-9]{30}$/.test(address)) {
    return [{ path: where, message: `${userId}'s push is not a Pushover user key (30 letters and digits)` }];
  }
  return [];
}

/** Checks what a schema cannot: that names used in one place are defined in another. */
export function crossCheck(config: KlaxonConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.server.auth.oidc.forEach((p, i) => {
    if (p.tenant !== undefined && !Object.hasOwn(config.tenants, p.tenant)) problems.push({ path: `server.auth.oidc.${i}.tenant`, message: `unknown tenant "${p.tenant}"` });
  });
  for (const [tenantName, t] of Object.entries(config.tenants)) {
    const at = `tenants.${tenantName}`;
    if (!Object.hasOwn(t.escalationPolicies, t.defaultPolicy)) {
      problems.push({ path: `${at}.defaultPolicy`, message: `unknown escalation policy "${t.defaultPolicy}"` });
    }
    t.routes.forEach((r, i) => {
      if (!Object.hasOwn(t.escalationPolicies, r.policy)) problems.push({ path: `${at}.routes.${i}.policy`, message: `unknown escalation policy "${r.policy}"` });
      checkMatchers(problems, `${at}.routes.${i}.matchers`, r.matchers);
    });
    for (const [policyName, p] of Object.entries(t.escalationPolicies)) checkPolicy(problems, `${at}.escalationPolicies.${policyName}`, t, p);
    for (const [name, r] of Object.entries(t.receivers)) {
      if (r.fallback && !Object.hasOwn(t.receivers, r.fallback)) problems.push({ path: `${at}.receivers.${name}.fallback`, message: `unknown receiver "${r.fallback}"` });
    }
    for (const [userId, u] of Object.entries(t.users)) {
      for (const [urgency, rules] of Object.entries(u.rules ?? {})) {
        (rules ?? []).forEach((r, i) => {
          const where = `${at}.users.${userId}.rules.${urgency}.${i}.via`;
          if (!t.userChannels[r.via]) problems.push({ path: where, message: `no userChannels.${r.via} receiver is configured` });
          if (r.via === 'push') {
            problems.push(...pushProblems(where, userId, u.push, t.userChannels.push ? t.receivers[t.userChannels.push] : undefined));
            return;
          }
          const field = ['sms', 'voice', 'phone'].includes(r.via) ? 'phone' : r.via;
          if (!u[field as 'phone' | 'email' | 'slack' | 'telegram']) problems.push({ path: where, message: `${userId} has no ${field} to reach by ${r.via}` });
        });
      }
    }
    const push = t.userChannels.push ? t.receivers[t.userChannels.push] : undefined;
    if (push && push.type !== 'ntfy' && push.type !== 'pushover') {
      problems.push({ path: `${at}.userChannels.push`, message: `receiver "${t.userChannels.push}" is ${push.type}; push needs an ntfy or pushover receiver` });
    }
    for (const [method, receiver] of Object.entries(t.userChannels)) {
      if (receiver && !Object.hasOwn(t.receivers, receiver)) problems.push({ path: `${at}.userChannels.${method}`, message: `unknown receiver "${receiver}"` });
    }
    t.maintenanceWindows.forEach((w, i) => {
      checkMatchers(problems, `${at}.maintenanceWindows.${i}.matchers`, w.matchers);
      if (Date.parse(w.to) <= Date.parse(w.from)) problems.push({ path: `${at}.maintenanceWindows.${i}.to`, message: 'must be after from' });
    });
    t.inhibitRules.forEach((r, i) => {
      checkMatchers(problems, `${at}.inhibitRules.${i}.sourceMatchers`, r.sourceMatchers);
      checkMatchers(problems, `${at}.inhibitRules.${i}.targetMatchers`, r.targetMatchers);
    });
    for (const [name, h] of Object.entries(t.heartbeats)) {
      if (h.policy !== undefined && !Object.hasOwn(t.escalationPolicies, h.policy)) problems.push({ path: `${at}.heartbeats.${name}.policy`, message: `unknown escalation policy "${h.policy}"` });
      checkMatchers(problems, `${at}.heartbeats.${name}.matchers`, h.matchers);
      if (h.interval < 10_000) problems.push({ path: `${at}.heartbeats.${name}.interval`, message: 'must be at least 10s' });
    }
    checkTemplates(problems, `${at}.templates`, t.templates);
    problems.push(...checkSchedules(at, t.users, t.schedules));
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

/** Loads each schedule's `ics:` calendar (relative to the config file) so on-call lookups see it. */
function loadCalendars(config: KlaxonConfig, baseDir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [tenantName, t] of Object.entries(config.tenants)) {
    for (const [name, schedule] of Object.entries(t.schedules)) {
      try {
        t.schedules[name] = withCalendar(schedule, t.users, baseDir);
      } catch (err) {
        problems.push({ path: `tenants.${tenantName}.schedules.${name}.ics`, message: (err as Error).message });
      }
    }
  }
  return problems;
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
  const problems = loadCalendars(r.config, dirname(resolve(file)));
  if (problems.length) throw new ConfigError(file, problems);
  return r.config;
}
