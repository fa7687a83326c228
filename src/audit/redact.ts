import type { RedactRule } from '../config/privacy';

/**
 * Redaction of personal data before it is written (tenant `privacy.redact`). Each rule replaces its
 * matches in every string value of a JSON tree (object keys are left alone: they are field names)
 * with `[<rule>]`. Deliberately narrow patterns: a rule that also ate timestamps, durations or
 * version numbers would destroy the audit trail it is meant to protect.
 */
type Compiled = { re: RegExp; replace: string | ((match: string, ...groups: unknown[]) => string) };

const BUILTIN: Record<Exclude<RedactRule, object>, Compiled> = {
  // local@domain.tld
  email: { re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, replace: '[email]' },
  // IPv4 dotted quads, and IPv6 (full, or compressed with ::), optionally with a zone or port after.
  ip: {
    re: /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?![\w:])/g,
    replace: '[ip]',
  },
  // International (+ and a country code, 8-15 digits) or North American ((555) 123-4567, 555-123-4567).
  // Not a bare run of digits: ids, counts and timestamps are not phone numbers.
  phone: {
    re: /(?<![\w+])\+\d(?:[\s.-]?\(?\d\)?){7,14}(?!\d)|(?<!\w)\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?!\d)|(?<![\w.-])\d{3}[.-]\d{3}[.-]\d{4}(?![\w.-])/g,
    replace: '[phone]',
  },
  // "Bearer <token>" (the scheme stays, so the text still says a token was there) and bare JWTs.
  // A token is 8+ characters with a digit or punctuation in it: "the bearer of bad news" is prose.
  bearer: { re: /\b((?:Bearer|bearer|BEARER)\s+)(?=[A-Za-z0-9\-._~+/]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{8,}=*|\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, replace: (_m, scheme) => `${typeof scheme === 'string' ? scheme : ''}[bearer]` },
};

export interface Redactor {
  text(s: string): string;
  /** A copy of a JSON tree with every string value redacted (the same object when nothing matched). */
  tree<T>(value: T): T;
}

export function compileRules(rules: RedactRule[]): Compiled[] {
  // A custom placeholder goes through a function, so a `$` in a name could never act as a pattern.
  return rules.map((r) => (typeof r === 'string' ? BUILTIN[r] : { re: new RegExp(r.regex, 'g'), replace: () => `[${r.name}]` }));
}

export function createRedactor(rules: RedactRule[]): Redactor {
  const compiled = compileRules(rules);
  const text = (s: string): string => {
    let out = s;
    for (const { re, replace } of compiled) out = out.replace(re, replace as (m: string) => string);
    return out;
  };
  const tree = <T>(value: T): T => {
    if (typeof value === 'string') return text(value) as T;
    if (Array.isArray(value)) {
      const out = value.map(tree);
      return (out.some((v, i) => v !== value[i]) ? out : value) as T;
    }
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = tree(v);
        if (out[k] !== v) changed = true;
      }
      return (changed ? out : value) as T;
    }
    return value;
  };
  return { text, tree };
}

const NONE: Redactor = { text: (s) => s, tree: (v) => v };
const cache = new WeakMap<RedactRule[], Redactor>();

/** The tenant's redactor, compiled once per configuration (a reload brings new rule arrays). */
export function redactorFor(privacy: { redact: RedactRule[] } | undefined): Redactor {
  const rules = privacy?.redact;
  if (!rules?.length) return NONE;
  let r = cache.get(rules);
  if (!r) cache.set(rules, (r = createRedactor(rules)));
  return r;
}
