import { dryRun } from '../../src/runbook/dryRun';
import { loadRunbooks, runbookDirs } from '../../src/runbook/load';
import { TEST_RUNBOOKS } from '../support/runbooks';

const set = loadRunbooks(runbookDirs(TEST_RUNBOOKS));
const incident = (labels: Record<string, string>, firedInLastHour = 1) => ({ id: 'acme-1', tenant: 'acme', title: 'T', severity: 'critical', labels, annotations: {}, firedInLastHour });

describe('runbook dry run', () => {
  test('restart-service: the plan with parameters from the labels, approval first, no side effect', async () => {
    const plan = await dryRun(set.byName.get('restart-service')!, incident({ alertname: 'ServiceDown', service: 'checkout' }), { deployUrl: 'http://deploy.test/restart' });
    expect(plan.error).toBeUndefined();
    expect(plan.params).toEqual({ service: 'checkout', deployUrl: 'http://deploy.test/restart' });
    expect(plan.steps.map((s) => s.step)).toEqual(['approve', 'http', 'annotate', 'waitFor']);
    expect(plan.steps[1].args).toEqual({ method: 'POST', url: 'http://deploy.test/restart', body: { service: 'checkout', reason: 'klaxon incident acme-1' } });
    expect(plan.steps[3].args).toMatchObject({ query: 'min(up{service="checkout"})', above: 0.5, for: '5m' });
    expect(plan.result).toBe('checkout is up again');
  });

  test('a missing parameter is named with the reason', async () => {
    const plan = await dryRun(set.byName.get('restart-service')!, incident({ alertname: 'ServiceDown' }), {});
    expect(plan.error).toMatch(/^params: service: /);
    expect(plan.steps).toEqual([]);
  });

  test('silence-flapping on a critical: approval, then the silence on the alert and instance', async () => {
    const plan = await dryRun(set.byName.get('silence-flapping')!, incident({ alertname: 'DiskFull', instance: 'db1:9100' }, 5), {});
    expect(plan.steps.map((s) => s.step)).toEqual(['approve', 'silence', 'annotate']);
    expect(plan.steps[1].args).toMatchObject({ duration: '2h' });
  });
});
