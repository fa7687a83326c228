import { z } from 'zod';
import { defineRunbook } from 'klaxon/runbook';

/**
 * A service stopped answering: with a person's approval, ask the deploy API to restart it, then
 * watch Prometheus until the target is up for 5 minutes. Still down: escalate now.
 */
export default defineRunbook({
  name: 'restart-service',
  description: 'Restart the service through the deploy API and wait until it is up again',
  match: ['alertname=~"ServiceDown|TargetDown"'],
  mode: 'suggest',
  params: z.object({
    service: z.string().min(1),
    // The deploy API's restart endpoint; its host must be in the tenant's runbooks.http.allowHosts.
    deployUrl: z.string().url().default('http://deploy.internal:8080/v1/restart'),
    upQuery: z.string().optional(),
  }),
  // Nobody answered in 15 minutes: a service is still down and the people paged are not there.
  approval: { timeout: '15m', onTimeout: 'escalate' },
  timeout: '30m',
  async run(ctx, p) {
    const restart = await ctx.http(p.deployUrl, { method: 'POST', body: { service: p.service, reason: `klaxon incident ${ctx.incident.id}` } });
    await ctx.annotate(`restart of ${p.service} requested (HTTP ${restart.status})`);
    const up = await ctx.waitFor({ query: p.upQuery ?? `min(up{service="${p.service}"})`, above: 0.5, for: '5m', timeout: '15m' });
    if (up) return `${p.service} is up again`;
    await ctx.escalate(`${p.service} is still down 15 minutes after its restart`);
    return `${p.service} still down: escalated`;
  },
});
