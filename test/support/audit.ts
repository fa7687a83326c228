import { AuditKey } from '../../src/audit/key';
import type { AuditWriting } from '../../src/store/incidents';

/**
 * One audit key for the whole run, whoever writes (a test's Klaxon, or a store a test builds
 * itself): KLAXON_AUDIT_KEY when set (.ci/run sets it, then `klaxon audit verify` checks what the
 * suite wrote), else a fixed key for tests.
 */
export function testAuditKeyMaterial(): string {
  return process.env.KLAXON_AUDIT_KEY || 'klaxon-test-audit-key-not-a-secret-0123456789';
}

/** What a test's own IncidentStore writes with: the run's audit key, no redaction. */
export function testAudit(): AuditWriting {
  return { key: new AuditKey(testAuditKeyMaterial(), 'test') };
}
