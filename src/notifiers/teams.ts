import type { ReceiverOf } from '../config/receivers';
import type { NotificationMessage, Notifier } from './types';
import { DeliveryError } from './errors';
import { colorOf, facts, headline, hexColor } from './format';

/**
 * Microsoft Teams. Workflows (Power Automate "When a Teams webhook request is received") takes a
 * message activity with an Adaptive Card attachment; the retiring Office 365 connectors take a
 * MessageCard. Neither returns a message id, so ack/resolve are posted as new cards.
 */

type TeamsConfig = ReceiverOf<'teams'>;

/** Teams rejects messages over ~28 KB; this leaves room for the card's JSON around the text. */
const TEXT_MAX = 20_000;

export function adaptiveCardMessage(m: NotificationMessage) {
  const inc = m.incident;
  const actions = [{ type: 'Action.OpenUrl', title: 'Open incident', url: inc.links.incident }];
  if (inc.links.runbook) actions.push({ type: 'Action.OpenUrl', title: 'Runbook', url: inc.links.runbook });
  if (inc.links.ack && m.kind !== 'resolved' && inc.status === 'firing') actions.push({ type: 'Action.OpenUrl', title: 'Acknowledge', url: inc.links.ack });
  const color = m.kind === 'resolved' ? 'Good' : inc.severity === 'critical' ? 'Attention' : inc.severity === 'warning' ? 'Warning' : 'Accent';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: headline(m), weight: 'Bolder', size: 'Medium', color, wrap: true },
            { type: 'FactSet', facts: facts(inc, m).map(([title, value]) => ({ title, value })) },
            { type: 'TextBlock', text: m.text, wrap: true },
          ],
          actions,
        },
      },
    ],
  };
}

export function messageCard(m: NotificationMessage) {
  const inc = m.incident;
  const potentialAction = [{ '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: inc.links.incident }] }];
  if (inc.links.runbook) potentialAction.push({ '@type': 'OpenUri', name: 'Runbook', targets: [{ os: 'default', uri: inc.links.runbook }] });
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: headline(m),
    themeColor: hexColor(colorOf(m)).slice(1),
    title: headline(m),
    text: m.text,
    sections: [{ facts: facts(inc, m).map(([name, value]) => ({ name, value })) }],
    potentialAction,
  };
}

export const teamsNotifier: Notifier<'teams'> = {
  type: 'teams',
  directMessages: true,
  maxTextLength: TEXT_MAX,
  async send(c: TeamsConfig, m, ctx) {
    const url = c.url.reveal();
    const res = await ctx.http.send({
      url,
      body: c.format === 'messagecard' ? messageCard(m) : adaptiveCardMessage(m),
      timeoutMs: c.timeout,
      secrets: [url],
    });
    // Legacy connectors answer 200 "1" on success, and 200 with an error text when throttled.
    if (c.format === 'messagecard' && res.text.trim() !== '1' && res.text.trim() !== '') {
      const throttled = /\b429\b/.test(res.text);
      throw new DeliveryError(`teams connector refused the card: ${res.text.slice(0, 300)}`, {
        retryable: throttled,
        status: throttled ? 429 : res.status,
        vendorMessage: res.text.slice(0, 300),
      });
    }
    return { response: `${res.status}` };
  },
};
