import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system, ms) per thread of this process and per child process, from /proc (Linux). */
export interface CpuSnapshot {
  threads: Map<string, number>;
  /** Busy CPU time of the whole machine (all processes), ms. */
  machineMs: number;
  children: Map<number, { name: string; ms: number }>;
  wallMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux that ships Node.

/** Linux thread names (15 chars) → what they are. Node does not name its other threads. */
const THREAD_NAMES: Record<string, string> = {
  'tokio-runtime-w': 'Temporal core (Rust)',
  'workflow-proces': 'Temporal core (Rust)',
  'temporal-real-s': 'Temporal core (Rust)',
  node: 'other node threads (V8 GC/compiler, workflow sandbox)',
  tsx: 'other node threads (V8 GC/compiler, workflow sandbox)',
  'libuv-worker': 'libuv pool',
};

function parseStat(text: string): { name: string; ppid: number; ms: number } {
  const close = text.lastIndexOf(')');
  const name = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // After "pid (comm) ": [0] state, [1] ppid, …, [11] utime, [12] stime (man 5 proc).
  return { name, ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * TICK_MS };
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function machineBusyMs(): number {
  const line = read('/proc/stat')?.split('\n')[0];
  if (!line) return 0;
  // cpu user nice system idle iowait irq softirq steal …
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - f[4]) * TICK_MS;
}

/** `alsoWatch`: pids that are not children but should be counted like them (an external server). */
export function cpuSnapshot(alsoWatch: number[] = []): CpuSnapshot {
  const threads = new Map<string, number>();
  const machineMs = machineBusyMs();
  const children = new Map<number, { name: string; ms: number }>();
  if (process.platform === 'linux') {
    for (const tid of readdirSync('/proc/self/task')) {
      const s = read(`/proc/self/task/${tid}/stat`);
      if (!s) continue;
      const { name, ms } = parseStat(s);
      const key = Number(tid) === process.pid ? 'main thread' : (THREAD_NAMES[name] ?? name);
      threads.set(key, (threads.get(key) ?? 0) + ms);
    }
    // Descendants, not only children: the embedded Temporal server runs under a watchdog process.
    const all = new Map<number, { name: string; ppid: number; ms: number }>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const s = read(`/proc/${pid}/stat`);
      if (s) all.set(Number(pid), parseStat(s));
    }
    const descends = (pid: number): boolean => {
      for (let p = all.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 16; p = all.get(p)?.ppid, hops++) if (p === process.pid) return true;
      return false;
    };
    for (const [pid, st] of all) if (descends(pid) || alsoWatch.includes(pid)) children.set(pid, { name: st.name, ms: st.ms });
  }
  return { threads, children, machineMs, wallMs: performance.now() };
}

export interface CpuRow {
  who: string;
  /** thread: of this process; child: a child process; others: everything else on the machine. */
  kind: 'thread' | 'child' | 'others';
  ms: number;
  /** ms over the wall time: 1.00 = one core busy. */
  cores: number;
}

/** CPU used between two snapshots, busiest first. */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot, names: Record<number, string> = {}): CpuRow[] {
  const wall = b.wallMs - a.wallMs;
  const rows: CpuRow[] = [];
  const add = (who: string, kind: CpuRow['kind'], ms: number) => rows.push({ who, kind, ms, cores: ms / wall });
  for (const [k, ms] of b.threads) add(k, 'thread', ms - (a.threads.get(k) ?? 0));
  for (const [pid, c] of b.children) add(names[pid] ?? `${c.name} (pid ${pid})`, 'child', c.ms - (a.children.get(pid)?.ms ?? 0));
  const ours = rows.reduce((sum, r) => sum + r.ms, 0);
  if (b.machineMs > 0) add('other processes', 'others', Math.max(0, b.machineMs - a.machineMs - ours));
  return rows.filter((r) => r.cores >= 0.005).sort((x, y) => y.ms - x.ms);
}
