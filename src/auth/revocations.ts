import { z } from 'zod';
import type { Queryable } from '../store/lanes';
import type { Logger } from '../logger';
import type { Principal } from './tokens';

/** A revoked token (`jti`), or every token of a user issued up to `issuedBefore` (the API's answer). */
export const revocationSchema = z.object({
  id: z.number(),
  tenant: z.string(),
  jti: z.string().optional(),
  user: z.string().optional(),
  issuedBefore: z.string().optional(),
  /** After this, every token the row names has expired: it no longer matters. */
  expiresAt: z.string(),
  revokedAt: z.string(),
  revokedBy: z.string(),
  reason: z.string().optional(),
});
export type Revocation = z.infer<typeof revocationSchema>;

export type NewRevocation = { tenant: string; revokedBy: string; reason?: string; expiresAt: Date } & ({ jti: string } | { user: string; issuedBefore: Date });

interface Row {
  id: string;
  tenant: string;
  jti: string | null;
  subject: string | null;
  issued_before: Date | null;
  expires_at: Date;
  revoked_at: Date;
  revoked_by: string;
  reason: string | null;
}

function fromRow(r: Row): Revocation {
  return {
    id: Number(r.id),
    tenant: r.tenant,
    ...(r.jti ? { jti: r.jti } : {}),
    ...(r.subject ? { user: r.subject } : {}),
    ...(r.issued_before ? { issuedBefore: r.issued_before.toISOString() } : {}),
    expiresAt: r.expires_at.toISOString(),
    revokedAt: r.revoked_at.toISOString(),
    revokedBy: r.revoked_by,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** How often each process reads the revocations others made (the one that makes one applies it at once). */
export const REVOCATIONS_REFRESH_MS = 5000;

/**
 * The revoked tokens, from the audit store, held in memory: a request is checked without a query.
 * Every process re-reads the list every few seconds, so a revocation made through one HTTP replica
 * holds on all of them within that time. When the store cannot be read, the last list stays in
 * force (acks must not stop because the database hiccups); a process that never read it refuses
 * nothing and says so in its log.
 */
export class RevocationList {
  #byJti = new Map<string, Revocation>();
  /** tenant \0 user → the newest "issued up to" revocation. */
  #byUser = new Map<string, Revocation>();
  #timer?: NodeJS.Timeout;
  #loaded = false;
  #failing = false;

  constructor(private readonly db: Queryable, private readonly log?: Logger, private readonly refreshMs = REVOCATIONS_REFRESH_MS) {}

  /** Reads the list now and then every refreshMs; a failed read is logged once until one succeeds. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    try {
      const { rows } = await this.db.query<Row>('SELECT * FROM token_revocations WHERE expires_at > now()');
      const byJti = new Map<string, Revocation>();
      const byUser = new Map<string, Revocation>();
      for (const r of rows.map(fromRow)) {
        if (r.jti) byJti.set(r.jti, r);
        else newest(byUser, `${r.tenant}\0${r.user}`, r);
      }
      this.#byJti = byJti;
      this.#byUser = byUser;
      this.#loaded = true;
      if (this.#failing) this.log?.info('token revocations read again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.log?.warn({ err: (err as Error).message, loaded: this.#loaded }, this.#loaded ? 'could not re-read token revocations; the last list read stays in force' : 'could not read token revocations; none are enforced until they can be read');
      this.#failing = true;
    }
  }

  /** The revocation that ends this caller's token, if any. */
  revoked(p: Principal): Revocation | undefined {
    const one = p.tokenId ? this.#byJti.get(p.tokenId) : undefined;
    if (one && one.tenant === p.tenant) return one;
    const all = this.#byUser.get(`${p.tenant}\0${p.subject}`);
    // A token without an issue time cannot show it came after: it is revoked with the rest.
    if (all && (!p.issuedAt || p.issuedAt.getTime() <= Date.parse(all.issuedBefore!))) return all;
    return undefined;
  }

  /** Stores a revocation; this process enforces it at once, the others at their next read. */
  async add(r: NewRevocation): Promise<Revocation> {
    const one = 'jti' in r;
    const { rows } = await this.db.query<Row>(
      `INSERT INTO token_revocations (tenant, jti, subject, issued_before, expires_at, revoked_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [r.tenant, one ? r.jti : null, one ? null : r.user, one ? null : r.issuedBefore, r.expiresAt, r.revokedBy, r.reason ?? null],
    );
    const added = fromRow(rows[0]);
    if (added.jti) this.#byJti.set(added.jti, added);
    else newest(this.#byUser, `${added.tenant}\0${added.user}`, added);
    return added;
  }

  /** A tenant's revocations still in force, newest first. */
  async list(tenant: string): Promise<Revocation[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM token_revocations WHERE tenant = $1 AND expires_at > now() ORDER BY revoked_at DESC, id DESC', [tenant]);
    return rows.map(fromRow);
  }
}

function newest(map: Map<string, Revocation>, key: string, r: Revocation): void {
  const had = map.get(key);
  if (!had || Date.parse(r.issuedBefore!) > Date.parse(had.issuedBefore!)) map.set(key, r);
}
