import { Context, type ApplicationFailure } from '@temporalio/activity';
import { parseRetryAfter } from '../../src/notifiers/errors';
import { redact } from '../../src/config/secret';
import { formatDuration } from '../../src/config/duration';
import { refused, STEP_FAILURE, unavailable } from './failures';
import { whileHeartbeating } from './heartbeat';

/**
 * The one HTTP call of the runbook steps (http, Prometheus, Alertmanager): a timeout per try, the
 * activity's cancellation, heartbeats while waiting, a capped body, and one classification of what
 * went wrong. Header values are never logged, returned or put into an error: they are where a
 * runbook keeps its tokens.
 */

/** What a step keeps of a body: enough for any API answer a runbook acts on, small enough for workflow history. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Of a body, what goes into an error message. */
const ERROR_EXCERPT = 200;

export interface StepRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface StepResponse {
  status: number;
  headers: Headers;
  /** At most MAX_BODY_BYTES of the body. */
  text: string;
  /** `GET host:port/path`, for messages. */
  what: string;
  /** The start of the body for an error message, header values removed. */
  excerpt(): string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json(): unknown;
  /** The answer as a failure: retryable for 5xx, 408 and 429 (no sooner than Retry-After), refused otherwise. */
  failure(): ApplicationFailure;
}

/** Where a request went, without the query string or user info (either may carry a token). */
export function describeRequest(method: string, url: URL): string {
  return `${method} ${url.host}${url.pathname}`;
}

/** Header values as they may show up in a text: whole, and without their scheme (`Bearer <token>`). */
function headerSecrets(headers: Record<string, string> = {}): string[] {
  const out = new Set<string>();
  for (const v of Object.values(headers)) {
    out.add(v);
    const credentials = v.replace(/^\S+\s+/, '');
    if (credentials !== v) out.add(credentials);
  }
  // Longest first, so a whole value is replaced before a part of it.
  return [...out].sort((a, b) => b.length - a.length);
}

export async function send(req: StepRequest): Promise<StepResponse> {
  const ctx = Context.current();
  const what = describeRequest(req.method, req.url);
  const secrets = headerSecrets(req.headers);
  const scrub = (text: string) => redact(text, secrets);
  const timeout = AbortSignal.timeout(req.timeoutMs);
  return whileHeartbeating(async () => {
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: { 'user-agent': 'klaxon-runbook', ...req.headers },
        body: req.body,
        signal: AbortSignal.any([ctx.cancellationSignal, timeout]),
        // A redirect would lead past the host allow-list (and carry the headers along): a 3xx is the answer.
        redirect: 'manual',
      });
      const text = await readCapped(res, MAX_BODY_BYTES);
      return response(res, text, what, scrub);
    } catch (err) {
      // Cancelled: the SDK reports the activity as cancelled when it ends with this reason.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      if (timeout.aborted) throw unavailable(`${what}: no answer within ${formatDuration(req.timeoutMs)}`);
      // fetch reports a failed connection or a broken answer as a TypeError with the cause attached;
      // without a cause the request itself was malformed (a bad header), which no retry changes.
      const e = err as Error & { cause?: Error & { code?: string } };
      if (e.cause) throw unavailable(scrub(`${what} failed: ${e.cause.message || e.cause.code || e.message}`));
      throw refused(STEP_FAILURE.invalid, scrub(`${what}: the request could not be made: ${e.message}`));
    }
  });
}

function response(res: Response, text: string, what: string, scrub: (t: string) => string): StepResponse {
  // Scrubbed before it is cut, so a value straddling the cut cannot leave half of itself behind.
  const excerpt = () => scrub(text).slice(0, ERROR_EXCERPT).trim();
  return {
    status: res.status,
    headers: res.headers,
    text,
    what,
    excerpt,
    json() {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    },
    failure() {
      const start = excerpt();
      let message = `${what} answered ${res.status}${start ? `: ${start}` : ''}`;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) message += ` (redirects are not followed; it points to ${scrub(location.split('?')[0])})`;
      const details = { status: res.status };
      if (res.status >= 500 || res.status === 429 || res.status === 408) {
        return unavailable(message, parseRetryAfter(res.headers.get('retry-after') ?? undefined), details);
      }
      return refused(STEP_FAILURE.rejected, message, details);
    },
  };
}

/** Reads up to `max` bytes of the body and drops the rest unread (a runaway endpoint cannot fill the worker's memory). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= max) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
