import type { ConfigStore } from '../src/config/store';
import type { NotifyTargets, TenantConfig } from '../src/config/schema';
import type { Recipient } from '../src/notifiers/types';
import { onCallAt } from '../src/oncall/schedule';
import { inTimeWindow } from '../src/routing/timeWindow';

export interface Send {
  receiver: string;
  recipient?: Recipient;
  /** A personal rule's delay: sent this long after the step, unless someone acknowledged by then. */
  afterMs?: number;
}

export interface Recipients {
  sends: Send[];
  /** People who could not be reached: no contact method with a configured channel, or nobody on call. */
  unreachable: Array<{ who: string; reason: string }>;
  /** Set when a notifyIf step is outside (or inside) its window and sends nothing. */
  skipped?: string;
}

/** Used at once for a person without personal rules (sms and voice only through rules). */
const CONTACT_METHODS = ['slack', 'email', 'telegram', 'phone', 'push'] as const;

function recipientOf(t: TenantConfig, userId: string): Recipient {
  const u = t.users[userId];
  // No push address: the notify activity looks it up at send time (withPushAddress), so it stays
  // out of the workflow's history (on ntfy.sh a topic name is its password).
  return { id: userId, name: u.name, email: u.email, slack: u.slack, telegram: u.telegram, phone: u.phone };
}

/**
 * Turns a notify step's targets into concrete sends at time `at`: receivers as they are, users
 * through each contact method the tenant has a channel for (`userChannels`), schedules through
 * whoever is on call then. Each person is paged once per step even if named twice.
 */
export function resolveSends(t: TenantConfig, targets: NotifyTargets, at: Date, urgency?: 'high' | 'low'): Recipients {
  const sends: Send[] = targets.receivers.map((receiver) => ({ receiver }));
  const unreachable: Recipients['unreachable'] = [];
  const people = new Set(targets.users);
  for (const s of targets.schedules) {
    const shift = onCallAt(t.schedules[s], at);
    if (shift) people.add(shift.user);
    else unreachable.push({ who: `schedule ${s}`, reason: 'nobody is on call' });
  }
  for (const userId of people) {
    const user = t.users[userId];
    if (!user) {
      unreachable.push({ who: userId, reason: 'unknown user' });
      continue;
    }
    const rules = urgency ? user.rules?.[urgency] : undefined;
    if (rules) {
      // The person's own order: each rule one contact method, at its delay.
      for (const r of rules) {
        const receiver = t.userChannels[r.via];
        if (receiver) sends.push({ receiver, recipient: recipientOf(t, userId), ...(r.after > 0 ? { afterMs: r.after } : {}) });
        else unreachable.push({ who: userId, reason: `personal rule via ${r.via}: no userChannels.${r.via} receiver` });
      }
      continue;
    }
    const channels = CONTACT_METHODS.filter((m) => user[m] && t.userChannels[m]).map((m) => t.userChannels[m]!);
    if (channels.length === 0) unreachable.push({ who: userId, reason: 'no contact method with a configured channel (userChannels)' });
    for (const receiver of new Set(channels)) sends.push({ receiver, recipient: recipientOf(t, userId) });
  }
  return { sends, unreachable };
}

export function createRecipientsActivity(deps: { config: ConfigStore }) {
  return async function resolveRecipients(args: { tenant: string; targets: NotifyTargets; window?: { name: string; outside: boolean }; at: string; urgency?: 'high' | 'low' }): Promise<Recipients> {
    const t = deps.config.tenant(args.tenant);
    if (!t) throw new Error(`unknown tenant ${args.tenant}`);
    const at = new Date(args.at);
    if (args.window) {
      const w = t.timeWindows[args.window.name];
      if (!w) return { sends: [], unreachable: [], skipped: `time window ${args.window.name} is not configured` };
      const inside = inTimeWindow(w, at);
      if (inside === args.window.outside) return { sends: [], unreachable: [], skipped: `${args.window.outside ? 'inside' : 'outside'} ${args.window.name}` };
    }
    return resolveSends(t, args.targets, at, args.urgency);
  };
}
