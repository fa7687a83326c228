/**
 * Vendors that call Klaxon back when a person acts (a Twilio keypress, a Pushover acknowledgement)
 * are given the message's signed one-click ack token under their own route:
 * `<publicUrl>/a/<token>` becomes `<publicUrl>/<route>/<token>`. The token already names incident,
 * tenant, person and expiry, and is single-use, so the callback can do exactly what the link would
 * and nothing more. Undefined when the message has no ack link (links not signed, or resolved).
 */
export function ackTokenUnder(ackLink: string | undefined, route: string): string | undefined {
  const m = ackLink ? /^(.*)\/a\/([^/?#]+)$/.exec(ackLink) : null;
  return m ? `${m[1]}/${route}/${m[2]}` : undefined;
}

export const TWILIO_VOICE_ROUTE = 'integrations/twilio/voice';
export const PUSHOVER_CALLBACK_ROUTE = 'integrations/pushover/callback';
