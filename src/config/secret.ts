import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A resolved secret. It prints as `[redacted]` everywhere (logs, JSON, errors), so a config object
 * can be logged or passed around without leaking; only `reveal()` gives the value to the code that
 * puts it on the wire.
 */
export class Secret {
  readonly #value: string;
  constructor(readonly envVar: string, value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.envVar})`;
  }
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Where `${VAR}` references are resolved; tests and `klaxon validate` can pass their own. */
export type EnvSource = Record<string, string | undefined>;
let currentEnv: EnvSource = process.env;
export function withEnv<T>(env: EnvSource, fn: () => T): T {
  const prev = currentEnv;
  currentEnv = env;
  try {
    return fn();
  } finally {
    currentEnv = prev;
  }
}

/**
 * A config field that holds a secret. The file must reference it as `${ENV_VAR}`; writing the value
 * inline is an error, so secrets never land in a repository with the tenant file.
 */
export function secret() {
  // Marked so generated docs (docs/receivers.md) can say which fields must be `${ENV}` references.
  return z.string().meta({ 'x-secret': true }).transform((raw, ctx): Secret => {
    const m = ENV_REF.exec(raw.trim());
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'secrets must be an ${ENV_VAR} reference, not written inline' });
      return z.NEVER;
    }
    const found = envValue(m[1]);
    if ('problem' in found) {
      ctx.addIssue({ code: 'custom', message: found.problem });
      return z.NEVER;
    }
    return new Secret(m[1], found.value);
  });
}

/**
 * `${NAME}` is NAME's value, or else the contents of the file NAME_FILE names (Docker and Kubernetes
 * secrets are mounted as files, and a multi-line PEM key is awkward in a variable). One trailing
 * newline is dropped: files written by editors and `echo` end with one.
 */
function envValue(name: string): { value: string } | { problem: string } {
  const direct = currentEnv[name];
  if (direct !== undefined && direct !== '') return { value: direct };
  const file = currentEnv[`${name}_FILE`];
  if (file === undefined || file === '') return { problem: `env var ${name} is not set (nor ${name}_FILE)` };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // The path is configuration, not the secret: naming it helps whoever mounts the file.
    return { problem: `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const value = text.replace(/\r?\n$/, '');
  return value === '' ? { problem: `${name}_FILE: ${file} is empty` } : { value };
}

/** Collects every secret value in a tree, so errors and logs can scrub them (see redact()). */
export function secretValues(tree: unknown, out: string[] = []): string[] {
  if (tree instanceof Secret) out.push(tree.reveal());
  else if (Array.isArray(tree)) tree.forEach((v) => secretValues(v, out));
  else if (tree && typeof tree === 'object') Object.values(tree).forEach((v) => secretValues(v, out));
  return out;
}

/** Replaces every occurrence of the given secrets in a text (vendor error bodies echo URLs and tokens). */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}
