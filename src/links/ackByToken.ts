import { createHash } from 'node:crypto';
import type { Services } from '../server/services';
import type { IncidentRow } from '../store/incidents';
import type { IncidentView } from '../incident/view';
import { applyAction } from '../incident/actions';
import { acknowledgeUpdate } from '../../workflows/definitions';
import { verifyLink, type LinkClaims } from './oneClick';

/**
 * Acknowledge through a message's signed ack token when a vendor calls back for a person (a Twilio
 * keypress, a Pushover acknowledgement): the same checks and the same single use as the `/a/<token>`
 * link (src/server/plugins/links.ts), so a token acts once, whichever way it is used.
 */
export type TokenAck =
  | { ok: true; incident: IncidentRow; state: IncidentView; claims: LinkClaims }
  | { ok: false; reason: 'disabled' | 'invalid' | 'expired' | 'unknown incident' | 'used' | 'refused' | 'unavailable'; message: string; incident?: IncidentRow; retryAfterS?: number };

/** Checks a token without acting: what it names, or why it is no good. */
export async function ackTokenClaims(services: Pick<Services, 'config' | 'incidents'>, token: string): Promise<{ ok: true; claims: LinkClaims; incident: IncidentRow } | Extract<TokenAck, { ok: false }>> {
  const key = services.config.config.server.linkSigningKey;
  if (!key) return { ok: false, reason: 'disabled', message: 'one-click links are not enabled' };
  const check = verifyLink(token, key.reveal());
  if (!check.ok) return { ok: false, reason: check.reason === 'expired' ? 'expired' : 'invalid', message: `the link is ${check.reason === 'expired' ? 'expired' : 'not valid'}` };
  if (check.claims.a !== 'ack') return { ok: false, reason: 'invalid', message: 'the link is not valid' };
  const incident = await services.incidents.get(check.claims.i);
  if (!incident || incident.tenant !== check.claims.t) return { ok: false, reason: 'unknown incident', message: 'no such incident' };
  return { ok: true, claims: check.claims, incident };
}

export async function ackByToken(services: Services, token: string, actorOf: (claims: LinkClaims) => string): Promise<TokenAck> {
  const found = await ackTokenClaims(services, token);
  if (!found.ok) return found;
  const { claims, incident } = found;
  const hash = createHash('sha256').update(token).digest('hex');
  // Claimed before acting: of two callbacks racing (a retried webhook), one acts.
  const claimed = await services.db.pool.query('INSERT INTO used_links (token_hash, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [hash, incident.id]);
  if (!claimed.rowCount) return { ok: false, reason: 'used', message: 'this page has already been answered', incident };
  const outcome = await applyAction(services, incident, 'ack', acknowledgeUpdate, { actor: actorOf(claims) });
  if (!outcome.ok && outcome.unavailable) {
    // Not confirmed: give the token back so the person (or the vendor's retry) can try again.
    await services.db.pool.query('DELETE FROM used_links WHERE token_hash = $1', [hash]).catch(() => undefined);
    return { ok: false, reason: 'unavailable', message: outcome.message, incident, retryAfterS: outcome.unavailable.retryAfterS };
  }
  if (!outcome.ok) return { ok: false, reason: 'refused', message: outcome.message, incident };
  return { ok: true, incident, state: outcome.state, claims };
}
