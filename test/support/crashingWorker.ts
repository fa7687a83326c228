/**
 * A Klaxon worker in its own process that kills itself (SIGKILL, no cleanup) right after the audit
 * store has written a batch holding an event of kind CRASH_AFTER_KIND: a worker lost mid-task, at
 * the worst moment for the audit trail. Started by test/integration/thrown-away-task.test.ts.
 */
import { IncidentStore } from '../../src/store/incidents';
import { NotificationLedger } from '../../src/delivery/ledger';
import { startTestKlaxon } from './klaxon';

const { CRASH_AFTER_KIND, CRASH_CONFIG } = process.env;
if (!CRASH_AFTER_KIND || !CRASH_CONFIG) throw new Error('CRASH_AFTER_KIND and CRASH_CONFIG are required');
const { yaml, secrets, taskQueue } = JSON.parse(CRASH_CONFIG) as { yaml: string; secrets: Record<string, string>; taskQueue: string };

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

void startTestKlaxon(yaml, secrets, { KLAXON_TASK_QUEUE: taskQueue }, { http: false }).then(() => process.stdout.write('worker running\n'));
