import { readEnv } from '../../config/env';
import { loadConfigFile } from '../../config/load';
import { deliver } from '../../notifiers/deliver';
import { createHttpDelivery } from '../../notifiers/http';
import { DeliveryError } from '../../notifiers/errors';
import { renderMessage } from '../../templates/render';
import type { IncidentView } from '../../incident/view';

/** A made-up incident, clearly labelled as a test, for `klaxon test-receiver`. */
export function testIncident(tenant: string, now: Date): IncidentView {
  return {
    id: `${tenant}-test-${now.getTime().toString(36)}`,
    tenant,
    workflowId: 'test',
    runId: 'test',
    title: 'KlaxonTestMessage',
    status: 'firing',
    severity: 'info',
    declaredSeverity: 'info',
    alertname: 'KlaxonTestMessage',
    service: 'klaxon',
    startedAt: now.toISOString(),
    commonLabels: { alertname: 'KlaxonTestMessage', severity: 'info' },
    alerts: [
      { fingerprint: 'test', status: 'firing', labels: { alertname: 'KlaxonTestMessage', severity: 'info' }, annotations: { summary: 'This is a test message from klaxon test-receiver' }, startsAt: now.toISOString() },
    ],
    links: { incident: '', workflow: '' },
    timeline: [],
  };
}

/** `klaxon test-receiver <tenant> <receiver>`: sends a test message and prints the vendor's answer. */
export async function testReceiver(args: string[]): Promise<number> {
  const [tenantName, receiverName] = args;
  if (!tenantName || !receiverName) {
    process.stderr.write('usage: klaxon test-receiver <tenant> <receiver>\n');
    return 2;
  }
  const config = loadConfigFile(readEnv().KLAXON_CONFIG);
  const tenant = config.tenants[tenantName];
  const receiver = tenant?.receivers[receiverName];
  if (!tenant || !receiver) {
    process.stderr.write(`unknown ${tenant ? `receiver "${receiverName}" of tenant ${tenantName}` : `tenant "${tenantName}"`}\n`);
    return 1;
  }
  const now = new Date();
  const incident = testIncident(tenantName, now);
  const message = renderMessage(receiver.type, tenant.templates, { kind: 'test', incident, now: now.toISOString() });
  try {
    const result = await deliver(
      { tenant: tenantName, receiverName, receiver, mode: 'send', message: { kind: 'test', incident, ...message, idempotencyKey: incident.id } },
      { http: createHttpDelivery(), now: () => new Date() },
    );
    process.stdout.write(`${receiverName} (${receiver.type}): delivered; answer: ${result.response ?? '(none)'}\n`);
    return 0;
  } catch (err) {
    const detail = err instanceof DeliveryError && err.opts.status ? ` (HTTP ${err.opts.status})` : '';
    process.stderr.write(`${receiverName} (${receiver.type}): failed${detail}: ${(err as Error).message}\n`);
    return 1;
  }
}
