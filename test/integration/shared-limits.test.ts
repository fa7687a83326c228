import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { register } from 'prom-client';
import { openDatabase, type Database } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import type { Queryable } from '../../src/store/lanes';
import { deliver, type DeliveryRequest } from '../../src/notifiers/deliver';
import { CircuitOpenError } from '../../src/notifiers/errors';
import { SharedLimits } from '../../src/notifiers/sharedLimits';
import { SharedRateLimiter } from '../../src/notifiers/sharedRateLimiter';
import { SharedCircuitBreakers } from '../../src/notifiers/sharedBreakers';
import type { ReceiverConfig } from '../../src/config/receivers';
import { anyReceiver, ctx, deliveryError, message } from '../support/vendors/messages';
import { startReceiver } from '../support/receiver';
import { startTcpProxy } from '../support/tcpProxy';
import { eventually, startTestKlaxon, tenantYaml, uniqueTenant } from '../support/klaxon';
import type { Klaxon } from '../../src/runtime';
import { mostInAnyWindow } from '../support/rateWindows';

/**
 * Receiver limits kept by all workers together (issue #11): each "worker" here is its own
 * SharedLimits on its own connection pool, as two processes would be, against one database; the
 * vendor is a local HTTP endpoint that records when each message arrived.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Worker = { rateLimiter: SharedRateLimiter; breakers: SharedCircuitBreakers; store: SharedLimits };
const worker = (pool: Queryable, opts: ConstructorParameters<typeof SharedLimits>[1] = {}): Worker => {
  const store = new SharedLimits(pool, opts);
  return { store, rateLimiter: new SharedRateLimiter(store), breakers: new SharedCircuitBreakers(store) };
};

const webhook = (url: string, extra: Record<string, unknown> = {}): ReceiverConfig => anyReceiver({ type: 'webhook', url: '${U}', ...extra }, { U: url });
const request = (tenant: string, receiverName: string, receiver: ReceiverConfig, i: number): DeliveryRequest => ({
  tenant,
  receiverName,
  receiver,
  mode: 'send',
  message: message('firing', undefined, { title: `storm #${i}`, idempotencyKey: `${tenant}:${receiverName}:${i}` }),
});

async function fallbacks(limit: string): Promise<number> {
  const m = await register.getSingleMetric('klaxon_shared_limits_fallback_total')?.get();
  return m?.values.find((v) => v.labels.limit === limit)?.value ?? 0;
}

describe.each([
  ['Postgres', async () => {
    // Two pools: two processes' connections, not one session taking turns.
    const pools = [new pg.Pool({ connectionString: DATABASE_URL, max: 3 }), new pg.Pool({ connectionString: DATABASE_URL, max: 3 })];
    await migrate(pools[0]);
    return { pools: pools as Queryable[], close: async () => void (await Promise.all(pools.map((p) => p.end()))) };
  }],
  ['PGlite', async () => {
    // PGlite is one process's database; two limiters in it still must not add up.
    const db: Database = await openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'klaxon-shared-')) });
    await migrate(db.pool);
    return { pools: [db.urgent, db.urgent], close: () => db.close() };
  }],
])('receiver limits shared by two workers (%s)', (_name, open) => {
  let pools: Queryable[];
  let close: () => Promise<void>;
  let vendor: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    ({ pools, close } = await open());
    vendor = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    await vendor?.close();
    await close?.();
  });

  test('two workers sending a storm together never put more than `per` messages in any window', async () => {
    const tenant = uniqueTenant('rl');
    const per = 2;
    const everyMs = 400;
    const receiver = webhook(`${vendor.url}/${tenant}`, { rateLimit: { per, every: `${everyMs}ms` } });
    const [a, b] = [worker(pools[0]), worker(pools[1])];
    const sent = { a: 0, b: 0 };
    const storm = Array.from({ length: 12 }, (_, i) => {
      const w = i % 2 ? b : a;
      return deliver(request(tenant, 'ops', receiver, i), ctx(), { rateLimiter: w.rateLimiter, breakers: w.breakers }).then(() => sent[w === a ? 'a' : 'b']++);
    });
    await Promise.all(storm);
    const arrivals = vendor.received.filter((r) => r.path === `/${tenant}`).map((r) => r.at);
    expect(arrivals).toHaveLength(12);
    expect(sent).toEqual({ a: 6, b: 6 });
    // The vendor's view: a window counts from each message's arrival.
    expect(mostInAnyWindow(arrivals, everyMs)).toBeLessThanOrEqual(per);
    // …and the storm did go out at the limit, not slower: 12 messages at 2 per 400 ms is 5 windows after the first.
    const span = Math.max(...arrivals) - Math.min(...arrivals);
    expect(span).toBeGreaterThanOrEqual(5 * everyMs - 10);
    expect(span).toBeLessThan(20 * everyMs);
  }, 30_000);

  test("a send cancelled while it waits for another worker's token leaves without spending one", async () => {
    const key = `${uniqueTenant('cancel')}/ops`;
    const limit = { per: 1, everyMs: 60_000 };
    const [a, b] = [worker(pools[0]), worker(pools[1])];
    const held = await a.rateLimiter.acquire(key, limit);
    const ctrl = new AbortController();
    const beats: number[] = [];
    const waiting = b.rateLimiter.acquire(key, limit, { signal: ctrl.signal, heartbeat: (ms) => beats.push(ms), heartbeatEveryMs: 100 });
    await eventually(async () => beats.length >= 2, 5000, 'B to heartbeat while it waits');
    ctrl.abort(new Error('acked'));
    await expect(waiting).rejects.toThrow('acked');
    // The window holds A's token alone (still counting for a minute after its send ended): had B
    // spent one, a limit of 2 would have no room left.
    held.release();
    expect(await b.store.takeToken(key, 2, 1000)).toMatchObject({ granted: true });
    expect(await b.store.takeToken(key, 2, 1000)).toMatchObject({ granted: false });
  }, 30_000);

  test("a circuit opened by A's failures is open for B, and after the cooldown exactly one of them tries", async () => {
    const tenant = uniqueTenant('cb2');
    const settings = { failures: 2, cooldownMs: 500 };
    const [a, b] = [worker(pools[0]), worker(pools[1])];
    for (let i = 0; i < 2; i++) a.breakers.recordFailure(tenant, 'flaky', 'HTTP 500', settings);
    expect(a.breakers.stateOf(tenant, 'flaky')).toBe('open');
    await eventually(async () => (await b.breakers.refresh()) && b.breakers.stateOf(tenant, 'flaky') === 'open', 5000, "B's breaker to open");
    expect(await b.breakers.admission(tenant, 'flaky', settings)).toMatchObject({ allowed: false });
    const both = await eventually(async () => {
      const r = await Promise.all([a.breakers.admission(tenant, 'flaky', settings), b.breakers.admission(tenant, 'flaky', settings)]);
      return r.some((x) => x.allowed) ? r : undefined;
    }, 5000, 'a trial after the cooldown');
    expect(both.filter((x) => x.allowed)).toHaveLength(1);
    // The trial fails: open again, for both.
    const trial = both[0].allowed ? a : b;
    trial.breakers.recordFailure(tenant, 'flaky', 'HTTP 500', settings);
    await eventually(async () => (await a.breakers.refresh()) && (await b.breakers.refresh()) && [a, b].every((w) => w.breakers.stateOf(tenant, 'flaky') === 'open'), 5000, 'the circuit to reopen for both');
  }, 30_000);
});

describe('circuit breakers shared by workers and reported by any role (Postgres)', () => {
  const tenant = uniqueTenant('cb');
  let pools: pg.Pool[];
  let vendor: Awaited<ReturnType<typeof startReceiver>>;
  let answer = 500;
  let http: Klaxon;
  beforeAll(async () => {
    pools = [new pg.Pool({ connectionString: DATABASE_URL, max: 3 }), new pg.Pool({ connectionString: DATABASE_URL, max: 3 })];
    await migrate(pools[0]);
    vendor = await startReceiver(() => ({ status: answer, body: answer === 200 ? 'ok' : 'down' }));
    // The HTTP role alone: no worker, so no delivery of its own has ever touched a breaker here.
    http = await startTestKlaxon(
      tenantYaml(tenant, `    receivers:\n      flaky: { type: webhook, url: "\${URL}" }\n    escalationPolicies:\n      p: { steps: [{ notify: { receivers: [flaky] } }] }\n    defaultPolicy: p\n`),
      { HOOK: 'hook', API: 'api', URL: vendor.url },
      { DATABASE_URL },
      { worker: false },
    );
  }, 60_000);
  afterAll(async () => {
    await http?.stop();
    await vendor?.close();
    await Promise.all((pools ?? []).map((p) => p.end()));
  });

  const health = async () => {
    const r = await fetch(`${http.url}/api/v1/receivers/health`, { headers: { authorization: 'Bearer api' } });
    return ((await r.json()) as { receivers: Array<{ receiver: string; state: string; failures: number }> }).receivers.find((x) => x.receiver === 'flaky')!;
  };

  test("a circuit opened by worker A's failures is open for worker B and on the HTTP role's /api/v1/receivers/health; one trial for both", async () => {
    const receiver = webhook(vendor.url, { circuitBreaker: { failures: 3, cooldown: '2s' } });
    const [a, b] = [worker(pools[0]), worker(pools[1])];
    b.breakers.start(100);
    try {
      expect((await health()).state).toBe('closed');
      for (let i = 0; i < 3; i++) await deliveryError(() => deliver(request(tenant, 'flaky', receiver, i), ctx(), { rateLimiter: a.rateLimiter, breakers: a.breakers }));
      expect(vendor.received).toHaveLength(3);

      // B never sent anything to this receiver, yet its circuit is open: it fails fast, the vendor is not asked.
      await eventually(async () => b.breakers.stateOf(tenant, 'flaky') === 'open', 5000, "B's breaker to open");
      const err = await deliveryError(() => deliver(request(tenant, 'flaky', receiver, 3), ctx(), { rateLimiter: b.rateLimiter, breakers: b.breakers }));
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(vendor.received).toHaveLength(3);
      expect(await health()).toMatchObject({ state: 'open', failures: 3 });

      // After the cooldown, A and B both want to try: exactly one of them is the trial.
      await eventually(async () => {
        const both = await Promise.all([a.breakers.admission(tenant, 'flaky', { failures: 3, cooldownMs: 2000 }), b.breakers.admission(tenant, 'flaky', { failures: 3, cooldownMs: 2000 })]);
        return both.some((x) => x.allowed) ? both : undefined;
      }, 10_000, 'a trial after the cooldown').then((both) => expect(both.filter((x) => x.allowed)).toHaveLength(1));
      expect((await health()).state).toBe('half-open');

      // The vendor is back; the next delivery (by B, which may not have been the trial holder) closes it for everyone.
      answer = 200;
      a.breakers.recordSuccess(tenant, 'flaky');
      await eventually(async () => (await health()).state === 'closed', 5000, 'the circuit to close on the HTTP role');
      await eventually(async () => b.breakers.stateOf(tenant, 'flaky') === 'closed', 5000, "B's breaker to close");
      await deliver(request(tenant, 'flaky', receiver, 4), ctx(), { rateLimiter: b.rateLimiter, breakers: b.breakers });
      expect(vendor.received).toHaveLength(4);
    } finally {
      b.breakers.stop();
    }
  }, 40_000);
});

describe('Postgres unreachable: paging goes on with the local limits', () => {
  let vendor: Awaited<ReturnType<typeof startReceiver>>;
  let blackhole: Server;
  beforeAll(async () => {
    vendor = await startReceiver(() => ({ status: 500, body: 'down' }));
    // Accepts connections and never answers: a hung database, the case a timeout must cover.
    blackhole = createServer(() => undefined);
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await vendor?.close();
    blackhole.close();
  });

  test.each([
    ['refuses connections', 'cut'],
    ['hangs', 'hang'],
  ])('a database that %s: sends continue under the local rate limit, and a breaker still opens locally', async (_what, mode) => {
    const pg0 = new URL(DATABASE_URL);
    const proxy = await startTcpProxy({ host: pg0.hostname, port: Number(pg0.port || 5432) });
    const port = mode === 'cut' ? proxy.port : (blackhole.address() as { port: number }).port;
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: pg0.username, database: pg0.pathname.slice(1), max: 2, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined);
    if (mode === 'cut') proxy.cut();
    const w = worker(pool, { timeoutMs: 300 });
    const before = await fallbacks('rate_limit');
    try {
      const tenant = uniqueTenant('down');
      const per = 2;
      const everyMs = 500;
      const ok = await startReceiver();
      const receiver = webhook(`${ok.url}/${tenant}`, { rateLimit: { per, every: `${everyMs}ms` } });
      const started = Date.now();
      await Promise.all(Array.from({ length: 4 }, (_, i) => deliver(request(tenant, 'ops', receiver, i), ctx(), { rateLimiter: w.rateLimiter, breakers: w.breakers })));
      const arrivals = ok.received.map((r) => r.at);
      expect(arrivals).toHaveLength(4);
      // The first two go at once: at most one timeout (300 ms) spent finding the store gone, not one per send.
      expect(arrivals.sort((x, y) => x - y)[1] - started).toBeLessThan(1500);
      // The local limit still holds.
      expect(mostInAnyWindow(arrivals, everyMs)).toBeLessThanOrEqual(per);
      expect(await fallbacks('rate_limit')).toBeGreaterThan(before);
      await ok.close();

      // A failing vendor still opens the circuit (in this process) while the store is away.
      const flaky = webhook(vendor.url, { circuitBreaker: { failures: 2, cooldown: '1m' } });
      for (let i = 0; i < 2; i++) await deliveryError(() => deliver(request(tenant, 'flaky', flaky, i), ctx(), { rateLimiter: w.rateLimiter, breakers: w.breakers }));
      expect(w.breakers.stateOf(tenant, 'flaky')).toBe('open');
      expect(await deliveryError(() => deliver(request(tenant, 'flaky', flaky, 3), ctx(), { rateLimiter: w.rateLimiter, breakers: w.breakers }))).toBeInstanceOf(CircuitOpenError);
    } finally {
      await pool.end().catch(() => undefined);
      await proxy.close();
    }
  }, 30_000);
});
