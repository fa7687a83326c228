import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { projectRoot } from '../../src/paths';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame comes from, coarse enough to add up: a package, a project file, or a V8 bucket. */
function origin(url: string, fn: string): string {
  if (!url) return fn || '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return path;
  return relative(projectRoot, path);
}

/**
 * CPU profile of this process's main thread (the HTTP server, activities, PGlite and the Temporal
 * client; workflow code runs in its own thread) while `fn` runs. Writes the .cpuprofile (open it in
 * Chrome DevTools) and returns busy (non-idle) self time per origin, largest first.
 */
export async function profileMainThread<T>(file: string, fn: () => Promise<T>): Promise<{ value: T; top: Array<{ origin: string; ms: number; share: number }> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const { profile } = (await post('Profiler.stop')) as { profile: Profile };
  session.disconnect();
  writeFileSync(file, JSON.stringify(profile));
  if (!outcome.ok) throw outcome.error;
  return { value: outcome.value, top: summarise(profile) };
}

function summarise(profile: Profile): Array<{ origin: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const key = origin(node.callFrame.url, node.callFrame.functionName);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (key !== '(idle)') total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self]
    .filter(([o]) => o !== '(idle)')
    .map(([o, msSelf]) => ({ origin: o, ms: msSelf, share: msSelf / total }))
    .sort((a, b) => b.ms - a.ms);
}
