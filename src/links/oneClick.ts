import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links in messages: the token carries what it allows on which incident and until when,
 * signed with HMAC-SHA256 so it cannot be forged or altered. No login is needed to use one, so
 * links expire and allow little: `ack` (one-click acknowledge, `/a/<token>`, single-use,
 * server.linkTtl) or `view` (the incident page, `/i/<token>`, read-only, server.pageLinkTtl).
 */
export interface LinkClaims {
  /** Incident id. */
  i: string;
  /** Tenant. */
  t: string;
  /** What the link allows: acknowledge once, read the incident page, or answer a runbook's approval once. */
  a: 'ack' | 'view' | 'approve';
  /** The runbook run whose approval it answers (`approve` links). */
  r?: string;
  /** Expiry, seconds since the epoch. */
  e: number;
  /** Who the link was sent to, if a person (becomes the actor). */
  u?: string;
}

function mac(payload: string, key: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export function signLink(claims: LinkClaims, key: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(payload, key)}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' };

export function verifyLink(token: string, key: string, now = Date.now()): LinkCheck {
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  const want = Buffer.from(mac(payload, key));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: 'bad signature' };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.e !== 'number' || claims.e * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
