import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AlertmanagerPayload } from '../../src/alertmanager/payload';
import { projectRoot } from '../../src/paths';

const fixturePath = join(projectRoot, 'test', 'fixtures', 'alertmanager', 'firing-group.json');

function fingerprintOf(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Alertmanager payloads shaped exactly like the captured fixture (same labels, annotations, alert
 * count and field set), each a distinct group: its own `service`, so its own groupKey and its own
 * alert fingerprints. `run` keeps groups of separate runs apart.
 */
export function payloadFactory(run: string): { alertsPerPayload: number; make(i: number): AlertmanagerPayload } {
  const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as AlertmanagerPayload;
  return {
    alertsPerPayload: fixture.alerts.length,
    make(i: number) {
      const service = `checkout-${run}-${i}`;
      const now = new Date().toISOString();
      const alerts = fixture.alerts.map((a) => {
        const labels = { ...a.labels, service, job: service, instance: a.labels.instance.replace('checkout', service) };
        return { ...a, labels, startsAt: now, fingerprint: fingerprintOf(labels) };
      });
      const groupLabels = { ...fixture.groupLabels, service };
      return {
        ...fixture,
        alerts,
        groupLabels,
        commonLabels: { ...fixture.commonLabels, service, job: service },
        groupKey: `{}:{${Object.entries(groupLabels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(', ')}}`,
      };
    },
  };
}
