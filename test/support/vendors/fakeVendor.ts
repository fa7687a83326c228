import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a vendor's HTTP API on 127.0.0.1 (random port): records every request
 * exactly as received and answers through a handler that mimics the vendor (success and error
 * shapes). One-shot replies (`replyOnce`) take precedence, for 429/5xx scenarios.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds (performance.now()) when the request's headers arrived. */
  at: number;
  json<T = any>(): T;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
}

export type Handler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export class FakeVendor {
  readonly requests: RecordedRequest[] = [];
  private readonly onceQueue: FakeReply[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private handler: Handler,
  ) {}

  static async start(handler: Handler = () => ({ status: 200, body: 'ok' })): Promise<FakeVendor> {
    let vendor!: FakeVendor;
    const server = createServer((req, res) => {
      const at = performance.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const u = new URL(req.url ?? '/', 'http://localhost');
        const body = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: u.pathname,
          query: u.searchParams,
          headers: req.headers,
          body,
          at,
          json: () => JSON.parse(body),
        };
        vendor.requests.push(recorded);
        let reply: FakeReply;
        try {
          reply = vendor.onceQueue.shift() ?? (await vendor.handler(recorded));
        } catch (err) {
          reply = { status: 500, body: { fakeVendorError: (err as Error).message } };
        }
        const headers: Record<string, string> = { ...reply.headers };
        let out = '';
        if (typeof reply.body === 'string') out = reply.body;
        else if (reply.body !== undefined) {
          out = JSON.stringify(reply.body);
          headers['content-type'] ??= 'application/json';
        }
        res.writeHead(reply.status ?? 200, headers);
        res.end(out);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vendor = new FakeVendor(server, `http://127.0.0.1:${port}`, handler);
    return vendor;
  }

  handle(handler: Handler): this {
    this.handler = handler;
    return this;
  }

  replyOnce(...replies: FakeReply[]): this {
    this.onceQueue.push(...replies);
    return this;
  }

  last(): RecordedRequest {
    const r = this.requests[this.requests.length - 1];
    if (!r) throw new Error('the fake vendor received no request');
    return r;
  }

  reset(): void {
    this.requests.length = 0;
    this.onceQueue.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
