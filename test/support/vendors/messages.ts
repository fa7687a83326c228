import { receiverSchema, type ReceiverConfig, type ReceiverType, type ReceiverOf } from '../../../src/config/receivers';
import { withEnv } from '../../../src/config/secret';
import { createHttpDelivery } from '../../../src/notifiers/http';
import type { NotificationMessage, NotifierContext } from '../../../src/notifiers/types';
import type { AlertView, IncidentView } from '../../../src/incident/view';
import { DeliveryError } from '../../../src/notifiers/errors';

/** Builders for notifier tests: incidents, messages, receivers parsed through the real schema. */

export function alert(i: number): AlertView {
  return {
    fingerprint: `fp${i.toString(16).padStart(6, '0')}`,
    status: 'firing',
    labels: { alertname: 'HighLatency', instance: `api-${i}.prod:9090`, severity: 'critical' },
    annotations: { summary: `p99 latency above 2s on api-${i}` },
    startsAt: '2025-01-02T03:04:05Z',
  };
}

export function incident(overrides: Partial<IncidentView> = {}, alertCount = 2): IncidentView {
  const alerts = Array.from({ length: alertCount }, (_, i) => alert(i));
  return {
    id: 'inc-7f3a9c',
    tenant: 'acme',
    workflowId: 'incident-acme-7f3a9c',
    runId: 'run-1',
    title: 'HighLatency on api (2 alerts)',
    status: 'firing',
    severity: 'critical',
    declaredSeverity: 'critical',
    alertname: 'HighLatency',
    service: 'api',
    startedAt: '2025-01-02T03:04:05Z',
    commonLabels: { alertname: 'HighLatency', service: 'api' },
    alerts,
    links: { workflow: 'http://localhost:8233/wf', incident: 'http://localhost:8080/incidents/inc-7f3a9c', runbook: 'https://runbooks.example/latency' },
    timeline: [],
    ...overrides,
  };
}

/** A partial resolve: the incident's first `resolved` alerts resolved, the others still firing. */
export function partlyResolved(resolved = 1, alertCount = 2, overrides: Partial<IncidentView> = {}): IncidentView {
  const inc = incident(overrides, alertCount);
  return { ...inc, alerts: inc.alerts.map((a, i) => (i < resolved ? { ...a, status: 'resolved' as const, endsAt: '2025-01-02T03:34:05Z' } : a)) };
}

/** One line per alert, the way the default templates render the text. */
export function alertLines(inc: IncidentView): string {
  return inc.alerts.map((a) => `• ${a.labels.alertname} ${a.labels.instance}: ${a.annotations.summary}`).join('\n');
}

export function message(kind: NotificationMessage['kind'] = 'firing', inc: IncidentView = incident(), extra: Partial<NotificationMessage> = {}): NotificationMessage {
  const status = kind === 'resolved' ? 'resolved' : kind === 'acknowledged' ? 'acknowledged' : inc.status;
  const i = { ...inc, status, ...(kind === 'acknowledged' ? { acknowledgedBy: 'alice' } : {}) } as IncidentView;
  return { kind, incident: i, title: i.title, text: alertLines(i), idempotencyKey: `${i.id}:run-1:0:rcv`, ...extra };
}

/** Parses a receiver through the real zod schema, with secrets resolved from `env`. */
export function receiver<T extends ReceiverType>(raw: Record<string, unknown> & { type: T }, env: Record<string, string>): ReceiverOf<T> {
  return withEnv(env, () => receiverSchema.parse(raw)) as ReceiverOf<T>;
}

export function anyReceiver(raw: Record<string, unknown>, env: Record<string, string>): ReceiverConfig {
  return withEnv(env, () => receiverSchema.parse(raw));
}

export function ctx(): NotifierContext {
  return { http: createHttpDelivery(), now: () => new Date() };
}

/** Runs `fn`, expects a DeliveryError, and returns it. */
export async function deliveryError(fn: () => Promise<unknown>): Promise<DeliveryError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw new Error(`expected a DeliveryError, got ${(err as Error)?.stack ?? String(err)}`);
  }
  throw new Error('expected a DeliveryError, but the call succeeded');
}

/** Asserts that no secret value (nor its base64 form) appears anywhere in the error. */
export function expectNoSecrets(err: DeliveryError, secrets: string[]): void {
  const everything = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err.opts)}`;
  for (const s of secrets) {
    expect(everything).not.toContain(s);
  }
}

/** Value at a dotted path ("payload.summary", "attachments.0.contentType"). */
export function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o == null ? undefined : (o as Record<string, unknown>)[k]), obj);
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/**
 * The request carries every field the vendor's documented example marks as required, with the same
 * JSON type as in the example.
 */
export function expectDocumentedShape(actual: unknown, fixture: { example: unknown; required: string[] }): void {
  for (const path of fixture.required) {
    expect({ path, type: kindOf(at(actual, path)) }).toEqual({ path, type: kindOf(at(fixture.example, path)) });
  }
}
