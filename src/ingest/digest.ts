import { createHash } from 'node:crypto';
import type { AlertView } from '../incident/view';

/**
 * What matters for "did this group change since the last post": the member alerts and their
 * status. Alertmanager re-sends unchanged groups every group_interval; those must cost nothing.
 */
export function groupDigest(alerts: AlertView[]): string {
  const parts = alerts.map((a) => `${a.fingerprint}:${a.status}`).sort();
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 22);
}

/** A small LRU: Map keeps insertion order, so re-inserting on use makes the oldest entry first. */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}
