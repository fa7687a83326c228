import { request } from 'undici';
import { DeliveryError, parseRetryAfter } from './errors';
import { redact } from '../config/secret';
import { secretVariants } from './secretVariants';

export interface HttpRequest {
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
  url: string;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and bytes (a gzip body) as they are (set content-type yourself). */
  body?: unknown;
  timeoutMs: number;
  /** Values to scrub from any error text (tokens, webhook URLs with keys). */
  secrets?: string[];
  /**
   * Vendors that say how long to back off in the body rather than (or as well as) in Retry-After
   * (Telegram's `parameters.retry_after`, Discord's `retry_after`): returns milliseconds.
   */
  retryAfterFromBody?: (text: string) => number | undefined;
  /** Aborts the request (the send was cancelled: an ack arrived while the vendor was slow). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parses the body; a 2xx answer that is not JSON is a vendor contract break, not worth a retry. */
  json<T = unknown>(): T;
}

/** The one place Klaxon talks HTTP to vendors: timeouts, error classification, secret scrubbing. */
export interface HttpDelivery {
  send(req: HttpRequest): Promise<HttpResponse>;
}

const MAX_ERROR_TEXT = 500;

/** `Authorization: Basic …` value for user:password style vendor auth (Jira, ServiceNow, Zendesk). */
export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

export function createHttpDelivery(): HttpDelivery {
  return {
    async send(req) {
      const secrets = secretVariants(req.secrets ?? []);
      const method = req.method ?? 'POST';
      const headers: Record<string, string> = { 'user-agent': 'klaxon', ...req.headers };
      let body: string | Uint8Array | undefined;
      if (typeof req.body === 'string' || req.body instanceof Uint8Array) body = req.body;
      else if (req.body !== undefined) {
        body = JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
      // Basic credentials are secrets too, in their encoded form as well.
      const auth = headers['authorization'] ?? headers['Authorization'];
      if (auth) secrets.push(auth, auth.replace(/^\S+\s+/, ''));
      let res;
      try {
        res = await request(req.url, {
          method,
          headers,
          body,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
          signal: req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]) : AbortSignal.timeout(req.timeoutMs),
        });
      } catch (err) {
        const msg = redact(`${method} ${req.url} failed: ${(err as Error).message}`, secrets);
        throw new DeliveryError(msg, { retryable: true });
      }
      const text = await res.body.text();
      const where = redact(new URL(req.url).host, secrets);
      const out: HttpResponse = {
        status: res.statusCode,
        headers: res.headers,
        text,
        json: <T>() => {
          try {
            return JSON.parse(text) as T;
          } catch {
            throw new DeliveryError(`${where} answered ${res.statusCode} with a body that is not JSON: ${redact(text.slice(0, 200), secrets)}`, {
              retryable: false,
              status: res.statusCode,
            });
          }
        },
      };
      if (res.statusCode >= 200 && res.statusCode < 300) return out;
      const vendorMessage = redact(text.slice(0, MAX_ERROR_TEXT), secrets);
      const retryable = res.statusCode === 429 || res.statusCode === 408 || res.statusCode >= 500;
      const fromHeader = parseRetryAfter(res.headers['retry-after']);
      const fromBody = req.retryAfterFromBody?.(text);
      const retryAfterMs = fromHeader === undefined && fromBody === undefined ? undefined : Math.max(fromHeader ?? 0, fromBody ?? 0);
      throw new DeliveryError(`${where} answered ${res.statusCode}: ${vendorMessage}`, {
        retryable,
        status: res.statusCode,
        retryAfterMs: retryable ? retryAfterMs : undefined,
        vendorMessage,
      });
    },
  };
}
