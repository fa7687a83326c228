import type { NotificationMessage } from './types';
import { colorOf, facts, headline, hexColor } from './format';
import { fitMessageText } from './fitMessage';

/**
 * The Slack-compatible "attachment" Mattermost and Rocket.Chat incoming webhooks both accept:
 * coloured bar, title linking to the incident, text and short fields.
 */
export function legacyAttachment(m: NotificationMessage, textMax: number) {
  const inc = m.incident;
  return {
    fallback: headline(m),
    color: hexColor(colorOf(m)),
    title: headline(m),
    title_link: inc.links.incident,
    text: fitMessageText(m, textMax, { orTitle: true }),
    fields: facts(inc, m).map(([title, value]) => ({ short: true, title, value })),
  };
}
