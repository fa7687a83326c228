/**
 * Child-process entry of the out-of-process load generator: POSTs the given bodies to a URL, `c` in
 * flight over keep-alive, and reports the result to the parent. A phase that measures what one
 * Klaxon process can answer must not share that process's main thread with the client making the
 * calls (a profile of the in-process client showed undici's dispatch and writes at about a third).
 */
import { Pool } from 'undici';
import { runClosedLoop } from './load';

export interface LoadRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  bodies: string[];
  n: number;
  c: number;
}
export interface LoadReply {
  elapsedMs: number;
  ok: number;
  errors: number;
  errorExamples: string[];
  latenciesMs: number[];
  /** Answers whose every group came back with this outcome (Klaxon's ingest answer). */
  outcomes: Record<string, number>;
}

process.once('message', async (req: LoadRequest) => {
  const pool = new Pool(req.origin, { connections: req.c, keepAliveTimeout: 60_000 });
  const outcomes: Record<string, number> = {};
  const r = await runClosedLoop(req.n, req.c, async (i) => {
    const res = await pool.request({ path: req.path, method: 'POST', headers: req.headers, body: req.bodies[i % req.bodies.length] });
    const text = await res.body.text();
    if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const groups = (JSON.parse(text) as { incidents: Array<{ outcome: string }> }).incidents.map((g) => g.outcome);
    const key = groups.every((o) => o === groups[0]) ? groups[0] : 'mixed';
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  });
  await pool.close();
  const reply: LoadReply = { elapsedMs: r.elapsedMs, ok: r.ok, errors: r.errors, errorExamples: r.errorExamples, latenciesMs: r.samples.filter((s) => !s.error).map((s) => s.latencyMs), outcomes };
  process.send!(reply, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
