/**
 * Child-process entry of the bench receiver: a webhook endpoint that timestamps every arrival in
 * its own event loop (so receiving never competes with Klaxon's), and hands the arrivals to the
 * parent over IPC when asked.
 */
import { createServer } from 'node:http';
import { wallNow } from './stats';

export interface Arrival {
  /** Wall-clock ms when the request body was complete. */
  at: number;
  incidentId?: string;
  kind?: string;
  idempotencyKey?: string;
  bytes: number;
}

export type ReceiverRequest = { cmd: 'count' } | { cmd: 'take' };
export type ReceiverReply = { cmd: 'listening'; port: number } | { cmd: 'count'; count: number } | { cmd: 'take'; arrivals: Arrival[] };

const arrivals: Arrival[] = [];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = wallNow();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    const body = Buffer.concat(chunks);
    const arrival: Arrival = { at, bytes: body.length, idempotencyKey: req.headers['idempotency-key'] as string | undefined };
    try {
      const msg = JSON.parse(body.toString('utf8')) as { kind?: string; incident?: { id?: string } };
      arrival.incidentId = msg.incident?.id;
      arrival.kind = msg.kind;
    } catch {
      // Not Klaxon's JSON: the arrival still counts, it just cannot be matched by incident id.
    }
    arrivals.push(arrival);
  });
});
server.keepAliveTimeout = 60_000;

const send = (m: ReceiverReply) => process.send!(m);
process.on('message', (m: ReceiverRequest) => {
  if (m.cmd === 'count') send({ cmd: 'count', count: arrivals.length });
  else if (m.cmd === 'take') send({ cmd: 'take', arrivals: arrivals.splice(0) });
});
// The parent going away (crash, Ctrl-C) must not leave the receiver running.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => send({ cmd: 'listening', port: (server.address() as { port: number }).port }));
