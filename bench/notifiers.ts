/**
 * Notifier benchmark: notifications per second through deliver() to local fake vendor servers
 * (127.0.0.1), with the p50/p99 latency of one deliver() call — first with rate limiting out of the
 * way (raw delivery cost: breaker, truncation, JSON, HTTP, vendor-answer classification), then with
 * a per-receiver limit in force (latency then includes the time queued behind the limit).
 */
import { FakeVendor } from '../test/support/vendors/fakeVendor';
import { pagerduty, slackApi } from '../test/support/vendors/fakes';
import { incident, message } from '../test/support/vendors/messages';
import { receiverSchema, type ReceiverConfig } from '../src/config/receivers';
import { withEnv } from '../src/config/secret';
import { deliver } from '../src/notifiers/deliver';
import { createHttpDelivery } from '../src/notifiers/http';
import { RateLimiter } from '../src/notifiers/rateLimit';
import { CircuitBreakers } from '../src/notifiers/circuitBreaker';

const TOKEN = 'xoxb-0000000000-0000000000-BenchmarkTokenValue';
const PD_KEY = 'B3nchR0ut1ngK3yB3nchR0ut1ngK3y12';

interface Run {
  label: string;
  count: number;
  seconds: number;
  p50: number;
  p99: number;
  maxPerWindow?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(label: string, receiver: ReceiverConfig, count: number, concurrency: number, vendor: FakeVendor, windowMs?: number): Promise<Run> {
  const ctx = { http: createHttpDelivery(), now: () => new Date() };
  const opts = { rateLimiter: new RateLimiter(), breakers: new CircuitBreakers() };
  const inc = incident({}, 5);
  const latencies: number[] = [];
  vendor.reset();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await deliver({ tenant: 'bench', receiverName: label, receiver, mode: 'send', message: message('firing', inc, { title: `bench #${i}` }) }, ctx, opts);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  let maxPerWindow: number | undefined;
  if (windowMs) {
    const at = vendor.requests.map((r) => r.at).sort((a, b) => a - b);
    maxPerWindow = Math.max(...at.map((t, i) => at.slice(i).filter((u) => u < t + windowMs).length));
  }
  if (vendor.requests.length !== count) throw new Error(`${label}: ${vendor.requests.length} of ${count} messages arrived`);
  return { label, count, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), maxPerWindow };
}

export async function benchNotifiers(): Promise<string> {
  const slack = await FakeVendor.start(slackApi({ token: TOKEN }));
  const pd = await FakeVendor.start(pagerduty);
  try {
    const parse = (raw: Record<string, unknown>) => withEnv({ T: TOKEN, PD: PD_KEY }, () => receiverSchema.parse(raw));
    const unlimited = { per: 1_000_000, every: '1s' };
    const slackFree = parse({ type: 'slack', token: '${T}', channel: 'C123ABC456', apiUrl: `${slack.url}/api`, rateLimit: unlimited });
    const pdFree = parse({ type: 'pagerduty', routingKey: '${PD}', apiUrl: `${pd.url}/v2/enqueue`, rateLimit: unlimited });
    const slackLimited = parse({ type: 'slack', token: '${T}', channel: 'C123ABC456', apiUrl: `${slack.url}/api`, rateLimit: { per: 50, every: '1s' } });

    // Warm-up: JIT and connection pool.
    await run('warm-up', slackFree, 200, 20, slack);
    const runs = [
      await run('Slack chat.postMessage, no limit, 32 concurrent', slackFree, 3000, 32, slack),
      await run('PagerDuty enqueue, no limit, 32 concurrent', pdFree, 3000, 32, pd),
      await run('Slack, limit 50/s, 250-message storm', slackLimited, 250, 250, slack, 1000),
    ];
    const rows = runs.map(
      (r) =>
        `| ${r.label} | ${r.count} | ${(r.count / r.seconds).toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.maxPerWindow ?? '—'} |`,
    );
    return [
      'deliver() to fake vendor servers on 127.0.0.1 (same process): breaker, rate limiter, truncation, request building, HTTP round trip and answer classification. Latency is one deliver() call; under a limit it includes time queued.',
      '',
      '| scenario | messages | notifications/s | p50 ms | p99 ms | max arrivals in any 1 s |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
  } finally {
    await slack.close();
    await pd.close();
  }
}

if (require.main === module) {
  benchNotifiers().then((md) => process.stdout.write(md + '\n'));
}
