import { z } from 'zod';
import { defineRunbook } from 'klaxon/runbook';

/**
 * An alert group that keeps firing and resolving pages people for nothing: once it opened 4
 * incidents in an hour (minFiredInLastHour), silence it in Alertmanager for `duration` and say so in
 * the timeline. A critical one is silenced only with a person's approval.
 */
export default defineRunbook({
  name: 'silence-flapping',
  description: 'Silence an alert that flaps (fires and resolves over and over) in Alertmanager',
  match: ['alertname=~".+"'],
  mode: 'auto',
  // Four incidents of one group in an hour: it fired and resolved three times before this one.
  minFiredInLastHour: 4,
  params: z.object({ duration: z.string().default('2h') }),
  // One silence decision per alert name at a time, whatever the service.
  concurrencyBy: ['alertname'],
  onResolve: 'continue',
  timeout: '40m',
  async run(ctx, p) {
    const fired = ctx.incident.firedInLastHour;
    if (ctx.incident.severity === 'critical') {
      const ok = await ctx.approve({ reason: `${ctx.incident.title} fired ${fired} times in an hour: silence it for ${p.duration}?`, timeout: '30m', onTimeout: 'skip' });
      if (!ok) return 'critical and not approved: left alone';
    }
    const id = await ctx.silence({ duration: p.duration, comment: `flapping: ${fired} incidents in an hour (Klaxon ${ctx.incident.id})` });
    await ctx.annotate(`silenced for ${p.duration} in Alertmanager (silence ${id}): ${fired} incidents in an hour`);
    return `silenced ${id}`;
  },
});
