import type { ConfigStore } from '../../src/config/store';
import type { HttpStepArgs, HttpStepResult } from '../../src/runbook/stepTypes';
import { refused, STEP_FAILURE } from './failures';
import { send } from './request';
import { checkHost, runbookSettings, stepUrl } from './settings';
import { stepTimeout } from './timeout';

/**
 * The `http` step: one request to a host in the tenant's `runbooks.http.allowHosts` (a deploy API,
 * a feature flag service). The answer is returned when its status is expected (any 2xx unless the
 * step lists statuses); otherwise the step fails, retryably only for 5xx, 408 and 429.
 */

const DEFAULT_TIMEOUT_MS = 10_000;

export function createHttpStep(deps: { config: ConfigStore }) {
  return async function runbookHttp(args: HttpStepArgs): Promise<HttpStepResult> {
    const settings = runbookSettings(deps.config, args);
    const url = stepUrl(args.url, 'url');
    checkHost(url, settings, args, 'http');
    const method = args.method ?? 'GET';
    const headers = { ...args.headers };
    let body: string | undefined;
    if (args.body !== undefined) {
      if (method === 'GET') throw refused(STEP_FAILURE.invalid, `http: a GET request has no body (${url.host}${url.pathname})`);
      body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      if (typeof args.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const timeoutMs = stepTimeout(args.timeoutMs, DEFAULT_TIMEOUT_MS);
    const res = await send({ method, url, headers, body, timeoutMs });
    const expected = args.expectStatus ? args.expectStatus.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!expected) throw res.failure();
    // Parsed when it says it is JSON or looks like an object or array (a body cut at 64 KiB does not parse).
    const looksJson = /json/i.test(res.headers.get('content-type') ?? '') || /^\s*[[{]/.test(res.text);
    return { status: res.status, body: res.text, json: looksJson ? res.json() : undefined };
  };
}
