import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed one-click links (`GET /a/<token>`): the token carries what to do to which incident and
 * until when, signed with HMAC-SHA256 so it cannot be forged or altered; no login is needed to use
 * it, so links expire (server.linkTtl) and only do the harmless "acknowledge".
 */
export interface LinkClaims {
  /** Incident id. */
  i: string;
  /** Tenant. */
  t: string;
  /** Action. */
  a: 'ack';
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
