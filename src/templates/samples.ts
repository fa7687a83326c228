import type { IncidentView } from '../incident/view';
import { renderTemplate, TemplateError, type RenderContext } from './render';

const AT = '2024-01-01T00:00:00.000Z';

/**
 * The sparsest incident Alertmanager can send: one alert with only an alertname (no service, no
 * instance, no annotations, no runbook). A template must render for it, or a real page would fail
 * at the worst moment; `klaxon validate` renders every template against it in every state.
 */
function sparseIncident(): IncidentView {
  return {
    id: 'sample-0000000000-0000000000',
    tenant: 'sample',
    workflowId: 'incident/sample/0000000000000000',
    runId: '00000000-0000-0000-0000-000000000000',
    title: 'SampleAlert',
    status: 'firing',
    severity: 'warning',
    declaredSeverity: 'warning',
    alertname: 'SampleAlert',
    service: '',
    startedAt: AT,
    anomaly: { mode: 'off', reason: '', advise: false },
    commonLabels: { alertname: 'SampleAlert' },
    alerts: [{ fingerprint: '0000000000000000', status: 'firing', labels: { alertname: 'SampleAlert' }, annotations: {}, startsAt: AT }],
    links: { incident: 'http://klaxon.example/api/v1/incidents/sample', workflow: 'http://temporal.example/namespaces/default/workflows/sample' },
    timeline: [],
  };
}

/** The sparse incident in each state a message is sent for. */
export function sampleContexts(): RenderContext[] {
  const firing = sparseIncident();
  return [
    { kind: 'firing', incident: firing, now: AT },
    { kind: 'escalated', incident: firing, now: AT, recipient: { id: 'sample-user', name: 'Sample User' } },
    { kind: 'acknowledged', incident: { ...firing, status: 'acknowledged', acknowledgedBy: 'sample-user' }, now: AT },
    { kind: 'resolved', incident: { ...firing, status: 'resolved', resolvedAt: AT, alerts: firing.alerts.map((a) => ({ ...a, status: 'resolved' as const })) }, now: AT },
    // A partial resolve needs two alerts: one resolved, one still firing (neither with more than an alertname).
    { kind: 'updated', incident: { ...firing, alerts: [...firing.alerts, { ...firing.alerts[0], fingerprint: '0000000000000001', status: 'resolved' as const, endsAt: AT }] }, now: AT },
  ];
}

/** Why a template cannot render the sparse sample incident, or undefined when it can. */
export function sampleRenderProblem(name: string, source: string): string | undefined {
  for (const ctx of sampleContexts()) {
    try {
      renderTemplate(name, source, ctx);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return `fails for a ${ctx.kind} incident with only an alertname label (${err.message.replace(/^template \S+: /, '')}); guard optional fields with {{#if …}}`;
    }
  }
  return undefined;
}
