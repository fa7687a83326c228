import type { ReceiverType } from '../config/receivers';
import type { AnyNotifier, Notifier } from './types';
import { webhookNotifier } from './webhook';
import { slackNotifier } from './slack';
import { teamsNotifier } from './teams';
import { discordNotifier } from './discord';
import { telegramNotifier } from './telegram';
import { pagerdutyNotifier } from './pagerduty';
import { opsgenieNotifier } from './opsgenie';
import { jiraNotifier } from './jira';
import { servicenowNotifier } from './servicenow';
import { zendeskNotifier } from './zendesk';
import { victoropsNotifier } from './victorops';
import { datadogNotifier } from './datadog';
import { emailNotifier } from './email';
import { googlechatNotifier } from './googlechat';
import { mattermostNotifier } from './mattermost';
import { rocketchatNotifier } from './rocketchat';
import { twilioSmsNotifier } from './twilioSms';
import { twilioVoiceNotifier } from './twilioVoice';
import { ntfyNotifier } from './ntfy';
import { pushoverNotifier } from './pushover';
import { splunkNotifier } from './splunk';
import { newrelicNotifier } from './newrelic';
import { xmattersNotifier } from './xmatters';
import { incidentioNotifier } from './incidentio';
import { eventgridNotifier } from './eventgrid';
import { pubsubNotifier } from './pubsub';
import { snsNotifier } from './sns';

/** Every channel Klaxon speaks, by receiver `type`. Adding a channel = one file + one line here. */
const notifiers: { [T in ReceiverType]: Notifier<T> } = {
  webhook: webhookNotifier,
  slack: slackNotifier,
  teams: teamsNotifier,
  discord: discordNotifier,
  telegram: telegramNotifier,
  pagerduty: pagerdutyNotifier,
  opsgenie: opsgenieNotifier,
  jira: jiraNotifier,
  servicenow: servicenowNotifier,
  zendesk: zendeskNotifier,
  victorops: victoropsNotifier,
  datadog: datadogNotifier,
  email: emailNotifier,
  googlechat: googlechatNotifier,
  mattermost: mattermostNotifier,
  rocketchat: rocketchatNotifier,
  'twilio-sms': twilioSmsNotifier,
  'twilio-voice': twilioVoiceNotifier,
  ntfy: ntfyNotifier,
  pushover: pushoverNotifier,
  splunk: splunkNotifier,
  newrelic: newrelicNotifier,
  xmatters: xmattersNotifier,
  incidentio: incidentioNotifier,
  eventgrid: eventgridNotifier,
  pubsub: pubsubNotifier,
  sns: snsNotifier,
};

export function notifierFor(type: ReceiverType): AnyNotifier {
  return notifiers[type] as unknown as AnyNotifier;
}

/** The channel types, for docs, `klaxon validate` and the receivers API. */
export const channelTypes = Object.keys(notifiers) as ReceiverType[];
