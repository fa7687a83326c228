import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The re-send load from wrk (Debian's `wrk`, written in C) when it is installed: the Node load
 * generator (loadProcess.ts) spends more CPU per request than Klaxon does answering it, so on 2
 * cores it measured itself as much as Klaxon. wrk runs for a duration, one thread, `c` connections,
 * cycling through the bodies; a Lua script counts the answers that were all `unchanged`.
 */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

export interface WrkReply {
  elapsedMs: number;
  ok: number;
  errors: number;
  unchanged: number;
  p50Ms: number;
  p99Ms: number;
  pid: number;
}

const SCRIPT = `
local bodies = {}
for line in io.lines(os.getenv("WRK_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = os.getenv("WRK_AUTH")
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
unchanged = 0
response = function(status, headers, body)
  if status == 202 and body:find('"outcome":"unchanged"', 1, true) and not body:find('"outcome":"started"', 1, true) and not body:find('"outcome":"updated"', 1, true) then
    unchanged = unchanged + 1
  end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local u = 0
  for _, t in ipairs(threads) do u = u + t:get("unchanged") end
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"unchanged":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, u, latency:percentile(50), latency:percentile(99)))
end
`;

export function runWrkLoad(req: { url: string; auth: string; bodies: string[]; seconds: number; c: number }): Promise<WrkReply> {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-wrk-'));
  writeFileSync(join(dir, 'bodies.txt'), req.bodies.map((b) => b.replace(/\n/g, ' ')).join('\n') + '\n');
  writeFileSync(join(dir, 'resend.lua'), SCRIPT);
  const child = spawn('wrk', ['-t1', `-c${req.c}`, `-d${req.seconds}s`, '-s', join(dir, 'resend.lua'), req.url], {
    env: { ...process.env, WRK_BODIES: join(dir, 'bodies.txt'), WRK_AUTH: req.auth },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${out.slice(-500)}`));
      const r = JSON.parse(line.slice(4)) as { requests: number; durationUs: number; errors: number; non2xx: number; unchanged: number; p50Us: number; p99Us: number };
      const errors = r.errors + r.non2xx;
      resolve({ elapsedMs: r.durationUs / 1000, ok: r.requests - errors, errors, unchanged: r.unchanged, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, pid: child.pid! });
    });
  });
}
