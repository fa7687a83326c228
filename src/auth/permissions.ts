/**
 * What an API caller may do. Each /api route declares the one permission it needs
 * (`config.permission`, checked in src/server/auth.ts); `admin` implies the other three.
 *
 * read     list incidents, an incident and its timeline and state, models, runbooks, receiver health
 * write    ack, unack, resolve, snooze, feedback
 * escalate escalate, reassign
 * admin    retrain models, run / approve / deny / cancel runbooks
 */
export const PERMISSIONS = ['read', 'write', 'escalate', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export class PermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionError';
  }
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Strict parse of what a person typed (`--perm read,write`): an unknown name is an error that names
 * it, so a typo never issues a token with less (or more) than intended.
 */
export function parsePermissions(text: string): Permission[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new PermissionError(`no permission given (use some of ${PERMISSIONS.join(', ')})`);
  const unknown = parts.filter((p) => !isPermission(p));
  if (unknown.length) throw new PermissionError(`unknown permission${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (use some of ${PERMISSIONS.join(', ')})`);
  return normalise(parts as Permission[]);
}

/**
 * Lenient read of a token's claim: an array or a space/comma separated string (OAuth `scope`
 * style), only values that start with `prefix`; values that are not Klaxon permissions are
 * ignored, since an identity provider's claims carry much else.
 */
export function permissionsFromClaim(claim: unknown, prefix = ''): Permission[] {
  const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const out: Permission[] = [];
  for (const v of values) {
    if (typeof v !== 'string' || !v.startsWith(prefix)) continue;
    const p = v.slice(prefix.length);
    if (isPermission(p)) out.push(p);
  }
  return normalise(out);
}

/** Whether `held` allows what `needed` asks: the permission itself, or `admin`. */
export function grants(held: readonly Permission[], needed: Permission): boolean {
  return held.includes(needed) || held.includes('admin');
}

/** Deduplicated, in the canonical order (stable tokens and messages). */
function normalise(list: Permission[]): Permission[] {
  return PERMISSIONS.filter((p) => list.includes(p));
}
