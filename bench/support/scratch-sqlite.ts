import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/temporal/devServer';
import { runClosedLoop } from './load';

const cpuMs = (pid: number) => { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const machine = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number); return (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]) * 10; };

async function server(extra: string[]) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'scratch-sql-'));
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', '--metrics-port', String(await freePort()), ...extra.map((e) => e.replace('DIR', dir))];
  const child = spawn('tools/temporal/bin/temporal', args, { stdio: 'ignore' });
  for (;;) { try { const c = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 500 }); await c.workflowService.getSystemInfo({}); return { child, c }; } catch { await new Promise((r) => setTimeout(r, 200)); } }
}

async function main() {
  const configs: Record<string, string[]> = {
    memory: [],
    file: ['--db-filename', 'DIR/t.sqlite'],
    wal: ['--db-filename', 'DIR/t.sqlite', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'],
    walfull: ['--db-filename', 'DIR/t.sqlite', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=full'],
  };
  const n = Number(process.env.N ?? 300), conc = Number(process.env.C ?? 16);
  for (let round = 0; round < Number(process.env.R ?? 2); round++) {
    for (const [name, extra] of Object.entries(configs)) {
      const { child, c } = await server(extra);
      const client = new Client({ connection: c });
      await runClosedLoop(50, conc, (i) => client.workflow.start('x', { taskQueue: 'q', workflowId: `w-${i}` }));
      const cpu0 = cpuMs(child.pid!), m0 = machine();
      const r = await runClosedLoop(n, conc, (i) => client.workflow.start('x', { taskQueue: 'q', workflowId: `m-${i}` }));
      const cpu = cpuMs(child.pid!) - cpu0, m = machine() - m0;
      console.log(`${name.padEnd(7)} ${(r.ok * 1000 / r.elapsedMs).toFixed(0)}/s  server cpu ${(cpu / r.ok).toFixed(1)} ms/start, server ${(cpu / r.elapsedMs).toFixed(2)} cores, machine busy ${(m / r.elapsedMs).toFixed(2)} cores`);
      if (extra.length) console.log('   files', require('node:fs').readdirSync(join(tmpdir(), require('node:fs').readdirSync(tmpdir()).filter((d: string) => d.startsWith('scratch-sql-')).map((d: string) => ({ d, t: require('node:fs').statSync(join(tmpdir(), d)).mtimeMs })).sort((a: any, b: any) => b.t - a.t)[0].d)).join(' '));
      await c.close(); child.kill('SIGTERM'); await new Promise((res) => child.once('exit', res));
    }
  }
}
main();
