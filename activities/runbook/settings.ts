import type { ConfigStore } from '../../src/config/store';
import type { RunbooksConfig } from '../../src/config/runbooks';
import type { StepScope } from '../../src/runbook/stepTypes';
import { refused, STEP_FAILURE } from './failures';

/**
 * What a tenant lets its runbook steps do (`runbooks:` in the tenant file): the kill switch, the
 * hosts steps may reach, the Prometheus and Alertmanager they default to. Read on every call, so a
 * config reload (SIGHUP) applies to the next step of a run already going.
 */
export function runbookSettings(config: ConfigStore, scope: StepScope): RunbooksConfig {
  const tenant = config.tenant(scope.tenant);
  if (!tenant) throw refused(STEP_FAILURE.unknownTenant, `tenant ${scope.tenant} is not configured`);
  if (!tenant.runbooks.enabled) {
    throw refused(STEP_FAILURE.disabled, `runbooks are switched off for tenant ${scope.tenant} (runbooks.enabled: false)`);
  }
  return tenant.runbooks;
}

/** A step's URL, parsed; only http(s), as nothing else is a runbook step's business. */
export function stepUrl(text: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused(STEP_FAILURE.invalid, `${field}: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(STEP_FAILURE.invalid, `${field}: only http and https URLs (got ${url.protocol})`);
  return url;
}

/** `host:port`, with the scheme's default port spelled out, as the allow-list compares it. */
export function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** An allow-list entry (`host` or `host:port`) admits the URL: same host, and same port if it names one. */
function admits(entry: string, url: URL): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.trim());
  if (!m) return false;
  // Normalised as the URL's own host is (case, IPv6 spelling), so `[0::1]` admits `[::1]`.
  let host: string;
  try {
    host = new URL(`http://${m[1]}`).hostname;
  } catch {
    return false;
  }
  return host === url.hostname && (m[2] === undefined || hostAndPort(url) === `${host}:${m[2]}`);
}

/** Refuses a URL whose host is not in `runbooks.http.allowHosts` (nor one of `implicit`, the tenant's own services). */
export function checkHost(url: URL, settings: RunbooksConfig, scope: StepScope, step: string, implicit: URL[] = []): void {
  if (settings.http.allowHosts.some((e) => admits(e, url))) return;
  if (implicit.some((u) => hostAndPort(u) === hostAndPort(url))) return;
  throw refused(
    STEP_FAILURE.notAllowed,
    `${step}: host ${url.host} is not allowed for tenant ${scope.tenant}: add it to runbooks.http.allowHosts`,
  );
}

type Service = 'prometheusUrl' | 'alertmanagerUrl';
const SERVICE_NAME: Record<Service, string> = { prometheusUrl: 'Prometheus', alertmanagerUrl: 'Alertmanager' };

/**
 * The Prometheus or Alertmanager a step talks to: its own URL, which must pass the allow-list
 * (the tenant's configured one passes implicitly), or else the tenant's.
 */
export function serviceUrl(service: Service, given: string | undefined, settings: RunbooksConfig, scope: StepScope, step: string): URL {
  const configured = settings[service];
  if (given !== undefined) {
    const url = stepUrl(given, service);
    checkHost(url, settings, scope, step, configured ? [new URL(configured)] : []);
    return url;
  }
  if (!configured) {
    throw refused(STEP_FAILURE.invalid, `${step}: no ${SERVICE_NAME[service]} to ask: the step passes no ${service} and tenant ${scope.tenant} sets no runbooks.${service}`);
  }
  return new URL(configured);
}

/** `path` under a base URL that may carry a prefix (`http://host/prometheus` + `api/v1/query`). */
export function under(base: URL, path: string): URL {
  const dir = new URL(base);
  if (!dir.pathname.endsWith('/')) dir.pathname += '/';
  dir.search = '';
  dir.hash = '';
  return new URL(path, dir);
}
