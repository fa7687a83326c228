import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { readEnv } from '../../config/env';
import { loadConfigFile } from '../../config/load';
import { openDatabase } from '../../store/db';
import { migrate } from '../../store/migrate';
import { resolveAuditKey, type AuditKey } from '../../audit/key';
import { verifyTenants, type TenantReport } from '../../audit/verify';
import { checkSubject, eraseSubject } from '../../audit/erase';
import { flag } from '../args';

const USAGE = `usage: klaxon audit <command>
  verify [--tenant T] [--json]
                      walk each tenant's audit hash chain; name every edited, deleted, inserted or
                      reordered row (exit 1), else print the counts (exit 0)
  erase --tenant T --subject VALUE [--actor NAME]
                      right to erasure: replace VALUE in the tenant's audit rows with a tombstone
                      (the chain still verifies; the erasure is audited)

  The store is DATABASE_URL, else the PGlite in KLAXON_DATA_DIR (stop Klaxon first). The key is
  server.auditKey of --config FILE (or KLAXON_CONFIG when set), else KLAXON_AUDIT_KEY[_FILE], else
  <data dir>/audit.key.
`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** `klaxon audit verify|erase` (README: Audit trail and privacy). */
export async function audit(args: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'verify') return verify(rest, io);
  if (command === 'erase') return erase(rest, io);
  io.err(USAGE);
  return command === undefined || command === 'help' ? 0 : 2;
}

async function open(args: string[]): Promise<{ key: AuditKey; db: Awaited<ReturnType<typeof openDatabase>> }> {
  const env = readEnv();
  const configFile = flag(args, '--config') ?? process.env.KLAXON_CONFIG;
  const configured = configFile ? loadConfigFile(configFile).server.auditKey : undefined;
  const dataDir = resolve(env.KLAXON_DATA_DIR);
  // Never create a key here: a new key would call every existing row forged.
  const { key } = resolveAuditKey({ configured, env: { KLAXON_AUDIT_KEY: env.KLAXON_AUDIT_KEY, KLAXON_AUDIT_KEY_FILE: env.KLAXON_AUDIT_KEY_FILE }, dataDir, create: false });
  const db = await openDatabase({ url: env.DATABASE_URL, dataDir });
  try {
    await migrate(db.pool);
  } catch (err) {
    await db.close();
    throw err;
  }
  return { key, db };
}

/** Problems printed per failing tenant. */
export const SHOWN_FINDINGS = 10;

export function formatReport(reports: TenantReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const range = r.to > r.from ? `positions ${r.from + 1}-${r.to}` : 'empty';
    const extra = [r.from ? `from retention checkpoint ${r.from}` : '', r.erased ? `${r.erased} erased` : ''].filter(Boolean).join(', ');
    if (r.ok) lines.push(`ok    ${r.tenant}: ${r.rows} rows (${range}${extra ? `, ${extra}` : ''})`);
    else {
      lines.push(`FAIL  ${r.tenant}: ${r.findings.length} problem(s), ${r.rows} rows sealed (${range}${extra ? `, ${extra}` : ''})`);
      // A chain sealed with another key fails on every row: the first few say it, --json has all.
      for (const f of r.findings.slice(0, SHOWN_FINDINGS)) lines.push(`  ${f.kind.padEnd(9)} ${f.message}`);
      if (r.findings.length > SHOWN_FINDINGS) lines.push(`  … ${r.findings.length - SHOWN_FINDINGS} more (--json lists every one)`);
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

async function verify(args: string[], io: Io): Promise<number> {
  const { key, db } = await open(args);
  try {
    const reports = await verifyTenants(db.pool, key, { tenant: flag(args, '--tenant') });
    if (args.includes('--json')) io.out(JSON.stringify(reports, null, 2) + '\n');
    else io.out(formatReport(reports));
    const bad = reports.filter((r) => !r.ok);
    const rows = reports.reduce((s, r) => s + r.rows, 0);
    io.err(bad.length ? `audit verify: ${bad.length} of ${reports.length} tenant(s) failed (key ${key.id})\n` : `audit verify: ok, ${reports.length} tenant(s), ${rows} rows (key ${key.id})\n`);
    return bad.length ? 1 : 0;
  } finally {
    await db.close();
  }
}

async function erase(args: string[], io: Io): Promise<number> {
  const tenant = flag(args, '--tenant');
  const subject = flag(args, '--subject');
  const actor = flag(args, '--actor') ?? `cli:${userInfo().username}`;
  if (!tenant) return fail(io, '--tenant is required');
  if (subject === undefined) return fail(io, '--subject is required: the value to erase (an e-mail address, a phone number …)');
  const problem = checkSubject(subject);
  if (problem) return fail(io, `--subject: ${problem}`);
  const { key, db } = await open(args);
  try {
    const r = await eraseSubject(db.pool, key, { tenant, subject, actor });
    const other = Object.entries(r.other).map(([k, n]) => `${k} ${n}`).join(', ');
    // The subject itself is not printed: terminals and CI logs keep what they show.
    io.out(`erased as ${r.tombstone}: ${r.events} audit row(s)${other ? `, ${other}` : ''}; ${r.incidents.length} incident(s) got an audit.erased event\n`);
    return 0;
  } finally {
    await db.close();
  }
}

function fail(io: Io, message: string): number {
  io.err(`klaxon audit: ${message}\n`);
  return 2;
}
