/**
 * A Klaxon worker in its own process that kills itself (SIGKILL, no cleanup) right after the audit
 * store has written a batch holding an event of kind CRASH_AFTER_KIND: a worker lost mid-task, at
 * the worst moment for the audit trail. Started by test/integration/thrown-away-task.test.ts.
 */
import { IncidentStore } from '../../src/store/incidents';
import { NotificationLedger } from '../../src/delivery/ledger';
import { RunbookStore } from '../../src/store/runbooks';
import { startTestKlaxon } from './klaxon';

const { CRASH_AFTER_KIND, CRASH_AFTER_RUNBOOK_KIND, CRASH_CONFIG } = process.env;
if (!(CRASH_AFTER_KIND || CRASH_AFTER_RUNBOOK_KIND) || !CRASH_CONFIG) throw new Error('CRASH_AFTER_KIND or CRASH_AFTER_RUNBOOK_KIND, and CRASH_CONFIG are required');
const { yaml, secrets, taskQueue } = JSON.parse(CRASH_CONFIG) as { yaml: string; secrets: Record<string, string>; taskQueue: string };

if (CRASH_AFTER_KIND) {
  const record = IncidentStore.prototype.record;
  IncidentStore.prototype.record = async function (this: IncidentStore, ...args: Parameters<typeof record>) {
    const written = await record.apply(this, args);
    if (args[1].some((e) => e.kind === CRASH_AFTER_KIND)) process.kill(process.pid, 'SIGKILL');
    return written;
  };
  // This worker never pages: the test is about what a lost task leaves in the audit trail. (A kill
  // between a vendor's answer and the ledger's "sent" is the documented re-send exception, tested in
  // ledger.test.ts; with a page racing the audit batch here, it made this test depend on timing.)
  NotificationLedger.prototype.claim = () => new Promise(() => undefined);
}

// Or: killed right after a runbook run's timeline rows holding an event of that kind are written.
if (CRASH_AFTER_RUNBOOK_KIND) {
  const record = RunbookStore.prototype.record;
  RunbookStore.prototype.record = async function (this: RunbookStore, ...args: Parameters<typeof record>) {
    await record.apply(this, args);
    if (args[1].some((e) => e.kind === CRASH_AFTER_RUNBOOK_KIND)) process.kill(process.pid, 'SIGKILL');
  };
}

void startTestKlaxon(yaml, secrets, { KLAXON_TASK_QUEUE: taskQueue }, { http: false }).then(() => process.stdout.write('worker running\n'));
