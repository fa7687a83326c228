import { z } from 'zod';
import { defineRunbook } from 'klaxon/runbook';

/** Saturation: with approval, add replicas through the platform API and wait for saturation to drop. */
export default defineRunbook({
  name: 'scale-up',
  description: 'Add replicas and wait until saturation drops below the threshold',
  match: ['alertname=~"HighSaturation|CPUThrottlingHigh"'],
  mode: 'suggest',
  params: z.object({
    service: z.string().min(1),
    replicas: z.coerce.number().int().min(1).max(50).default(2),
    scaleUrl: z.string().url().default('http://platform.internal:8080/v1/scale'),
    threshold: z.coerce.number().default(0.8),
  }),
  timeout: '45m',
  async run(ctx, p) {
    await ctx.http(p.scaleUrl, { method: 'POST', body: { service: p.service, add: p.replicas } });
    const calm = await ctx.waitFor({ query: `max(saturation{service="${p.service}"})`, below: p.threshold, for: '5m', timeout: '30m' });
    if (calm) return `saturation of ${p.service} below ${p.threshold}`;
    await ctx.escalate(`saturation of ${p.service} still above ${p.threshold} after adding ${p.replicas} replicas`);
  },
});
