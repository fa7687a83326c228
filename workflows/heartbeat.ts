import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { KlaxonActivities } from '../activities';
import {
  heartbeatBeatSignal,
  heartbeatConfigureSignal,
  heartbeatRetireSignal,
  heartbeatStateQuery,
  type HeartbeatInput,
  type HeartbeatView,
} from './heartbeatDefinitions';

// Opening or resolving the missed-beat incident goes through ingest, as a webhook alert would:
// retried until it lands (a missed beat must page), each retry the same alert (ingest is idempotent).
const { reportHeartbeat } = proxyActivities<KlaxonActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Beats (signals) per run before continuing as new: a 1-minute heartbeat is 1,440 a day. */
const BEATS_PER_RUN = 500;

/**
 * One heartbeat (dead-man's switch): a durable timer that every beat resets. When it runs out
 * (interval + grace without a beat) the heartbeat's incident opens through the tenant's routes and
 * policies; the next beat resolves it. A worker restart loses nothing: the timer is Temporal's.
 */
export async function heartbeatWorkflow(input: HeartbeatInput): Promise<void> {
  let settings = input.settings;
  let lastBeatAt = input.carried?.lastBeatAt;
  let missing = input.carried?.missing ?? false;
  let beats = input.carried?.beats ?? 0;
  let lastSource: string | undefined;
  let retired = false;
  // Due by interval + grace after the last beat (or after the heartbeat started watching).
  let since = lastBeatAt ? Date.parse(lastBeatAt) : Date.now();
  let changes = 0;
  const dueBy = () => since + settings.intervalMs + settings.graceMs;
  const view = (): HeartbeatView => ({ tenant: input.tenant, name: input.name, settings, lastBeatAt, lastSource, beats, missing, dueBy: new Date(dueBy()).toISOString() });

  setHandler(heartbeatBeatSignal, ({ source }) => {
    beats++;
    lastSource = source;
    lastBeatAt = new Date().toISOString();
    since = Date.now();
  });
  setHandler(heartbeatConfigureSignal, (s) => {
    if (s && s.intervalMs > 0 && s.graceMs >= 0) settings = s;
    changes++;
  });
  setHandler(heartbeatRetireSignal, () => {
    retired = true;
  });
  setHandler(heartbeatStateQuery, view);

  const report = (status: 'firing' | 'resolved', why?: string) =>
    reportHeartbeat({ tenant: input.tenant, name: input.name, status, lastBeatAt, settings, ...(why ? { why } : {}) });

  let beatsThisRun = 0;
  for (;;) {
    const seen = beats;
    const seenChanges = changes;
    const woken = () => beats !== seen || changes !== seenChanges || retired;
    if (missing) await condition(woken);
    else if (!(await condition(woken, Math.max(1, dueBy() - Date.now())))) {
      missing = true;
      await report('firing');
    }
    if (retired) {
      if (missing) await report('resolved', 'the heartbeat was removed from the config');
      return;
    }
    if (beats !== seen) {
      beatsThisRun += beats - seen;
      if (missing) {
        missing = false;
        await report('resolved');
      }
    }
    if (beatsThisRun >= BEATS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof heartbeatWorkflow>({ ...input, settings, carried: { lastBeatAt, missing, beats } });
    }
  }
}
