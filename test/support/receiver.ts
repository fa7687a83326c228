import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** Set when the sender closed the connection before this endpoint answered (a cancelled request). */
  abortedAt?: number;
}

/** A local HTTP endpoint that records every request (stands in for a customer's webhook). */
type Answer = { status: number; body?: string; headers?: Record<string, string> };

export async function startReceiver(answer: (r: Received) => Answer | Promise<Answer> = () => ({ status: 200, body: 'ok' })) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      res.on('close', () => {
        if (!res.writableFinished) r.abortedAt = Date.now();
      });
      const a = await answer(r);
      if (res.destroyed) return;
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Bodies received so far, parsed (Klaxon's webhook format). */
    messages: () => received.map((r) => ({ ...JSON.parse(r.body), abortedAt: r.abortedAt, at: r.at })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
