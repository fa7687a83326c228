import { z } from 'zod';
import type { ConfigStore } from '../../src/config/store';
import type { ExpireSilenceArgs, SilenceArgs, SilenceResult } from '../../src/runbook/stepTypes';
import { parseMatcher } from '../../src/routing/matchers';
import { refused, STEP_FAILURE } from './failures';
import { send, type StepResponse } from './request';
import { runbookSettings, serviceUrl, under } from './settings';

/**
 * The `silence` and `expireSilence` steps, through Alertmanager's API v2
 * (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml): `POST /api/v2/silences`
 * with a `postableSilence` answers `{silenceID}`; `DELETE /api/v2/silence/{id}` expires one.
 * Both are safe to retry: Temporal retries an attempt whose outcome it never learnt.
 */

const TIMEOUT_MS = 10_000;

const amMatcher = z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().default(true) });
type AmMatcher = z.infer<typeof amMatcher>;
const gettableSilence = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['expired', 'active', 'pending']) }),
  matchers: z.array(amMatcher),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});
type GettableSilence = z.infer<typeof gettableSilence>;

/** A matcher as the runbook writes it (`instance=~"db-.*"`), parsed by Klaxon's one matcher parser, in Alertmanager's shape. */
function toAmMatcher(text: string, i: number): AmMatcher {
  let m;
  try {
    m = parseMatcher(text);
  } catch (err) {
    throw refused(STEP_FAILURE.invalid, `silence: matchers.${i}: ${(err as Error).message}`);
  }
  return { name: m.name, value: m.value, isRegex: m.op === '=~' || m.op === '!~', isEqual: m.op === '=' || m.op === '=~' };
}

const matcherKey = (m: AmMatcher) => JSON.stringify([m.name, m.value, m.isRegex, m.isEqual]);
const sameMatchers = (a: AmMatcher[], b: AmMatcher[]) => a.map(matcherKey).sort().join('\n') === b.map(matcherKey).sort().join('\n');

/** A matcher in the text form Alertmanager's `filter` parameter takes. */
const filterText = (m: AmMatcher) => `${m.name}="${m.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

function parseBody<T>(res: StepResponse, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(res.json());
  if (!parsed.success) throw refused(STEP_FAILURE.rejected, `${res.what} answered ${res.status} with something that is not an Alertmanager API answer: ${res.excerpt()}`);
  return parsed.data;
}

const ok = (res: StepResponse) => res.status >= 200 && res.status < 300;

/**
 * A silence this run already made with the same matchers and comment, still active. It is how a
 * retried create stays one silence: when the first attempt's POST reached Alertmanager but its
 * answer never reached Temporal (the worker died, the answer timed out), a blind second POST would
 * leave a silence nobody knows the id of, and nobody expires. createdBy names the run, so only
 * this run's silences count; an identical silence asked again by the same run while the first is
 * active gets the first (the step returns its real endsAt).
 */
async function findSame(base: URL, want: { matchers: AmMatcher[]; createdBy: string; comment: string }): Promise<GettableSilence | undefined> {
  const url = under(base, 'api/v2/silences');
  // Alertmanager filters a silence by treating its matchers as labels, which is exact only for
  // `name="value"` matchers, and only when the name appears once; the comparison below is exact.
  const counts = new Map<string, number>();
  for (const m of want.matchers) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
  for (const m of want.matchers) if (!m.isRegex && m.isEqual && counts.get(m.name) === 1) url.searchParams.append('filter', filterText(m));
  const res = await send({ method: 'GET', url, timeoutMs: TIMEOUT_MS });
  if (!ok(res)) throw res.failure();
  const silences = parseBody(res, z.array(gettableSilence));
  return silences.find(
    (s) => s.status.state !== 'expired' && s.createdBy === want.createdBy && s.comment === want.comment && sameMatchers(s.matchers, want.matchers),
  );
}

export function createSilenceSteps(deps: { config: ConfigStore }) {
  return {
    async runbookCreateSilence(args: SilenceArgs): Promise<SilenceResult> {
      const settings = runbookSettings(deps.config, args);
      const base = serviceUrl('alertmanagerUrl', args.alertmanagerUrl, settings, args, 'silence');
      // No matcher would silence everything; Alertmanager refuses that too, but say it in Klaxon's words.
      if (args.matchers.length === 0) throw refused(STEP_FAILURE.invalid, 'silence: give at least one matcher');
      if (!(args.durationMs > 0)) throw refused(STEP_FAILURE.invalid, `silence: the duration must be positive (got ${args.durationMs} ms)`);
      const matchers = args.matchers.map(toAmMatcher);
      const createdBy = `klaxon runbook ${args.runId}`;
      const existing = await findSame(base, { matchers, createdBy, comment: args.comment });
      if (existing) return { silenceId: existing.id, endsAt: existing.endsAt };

      const startsAt = new Date();
      const endsAt = new Date(startsAt.getTime() + args.durationMs);
      const body = { matchers, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), createdBy, comment: args.comment };
      const res = await send({ method: 'POST', url: under(base, 'api/v2/silences'), headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: TIMEOUT_MS });
      if (!ok(res)) throw res.failure();
      const { silenceID } = parseBody(res, z.object({ silenceID: z.string() }));
      return { silenceId: silenceID, endsAt: body.endsAt };
    },

    /**
     * Expires the silence; one already expired counts as done (a retry after an expiry whose answer
     * was lost: Alertmanager answers a second DELETE with 500 "already expired"). An id Alertmanager
     * does not know fails: a wrong URL or id would otherwise leave the real silence on.
     */
    async runbookExpireSilence(args: ExpireSilenceArgs): Promise<void> {
      const settings = runbookSettings(deps.config, args);
      const base = serviceUrl('alertmanagerUrl', args.alertmanagerUrl, settings, args, 'expireSilence');
      const url = under(base, `api/v2/silence/${encodeURIComponent(args.silenceId)}`);
      const current = await send({ method: 'GET', url, timeoutMs: TIMEOUT_MS });
      if (current.status === 404) throw refused(STEP_FAILURE.rejected, `expireSilence: Alertmanager at ${base.host} has no silence ${args.silenceId}`);
      if (!ok(current)) throw current.failure();
      if (parseBody(current, gettableSilence).status.state === 'expired') return;
      const res = await send({ method: 'DELETE', url, timeoutMs: TIMEOUT_MS });
      if (!ok(res)) throw res.failure();
    },
  };
}
