import { z } from 'zod';
import type { ConfigStore } from '../../src/config/store';
import type { PromQueryArgs, PromQueryResult } from '../../src/runbook/stepTypes';
import { refused, STEP_FAILURE, unavailable } from './failures';
import { send, type StepResponse } from './request';
import { runbookSettings, serviceUrl, under } from './settings';

/**
 * The query behind `waitFor`: one PromQL instant query, `GET /api/v1/query?query=…`, as documented
 * in https://prometheus.io/docs/prometheus/latest/querying/api/ ("Instant queries" and "Expression
 * query result formats"). Every answer is the envelope `{status, data, errorType, error}`; `data`
 * is `{resultType, result}`, where an instant vector is `[{metric, value: [<unix s>, "<value>"]}]`
 * and a scalar is `[<unix s>, "<value>"]` (values are strings so NaN and ±Inf survive JSON).
 */

/** Prometheus' own limit for the query (its `timeout` parameter); the request waits a little longer for the answer. */
const QUERY_TIMEOUT_S = 10;
const REQUEST_TIMEOUT_MS = QUERY_TIMEOUT_S * 1000 + 5000;

const sampleValue = z.tuple([z.number(), z.string()]);
const vectorSample = z.object({
  metric: z.record(z.string(), z.string()),
  value: sampleValue.optional(),
  /** A native histogram sample, which has no single value to compare. */
  histogram: z.unknown().optional(),
});
const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(vectorSample) }),
      z.object({ resultType: z.literal('scalar'), result: sampleValue }),
      z.object({ resultType: z.literal('matrix'), result: z.unknown() }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  // On "error" the docs promise errorType and error; the HTTP status tells 400 bad_data / 422 execution / 503 timeout.
  z.object({ status: z.literal('error'), errorType: z.string().default(''), error: z.string().default('') }),
]);
type Answer = z.infer<typeof answerSchema>;

/** Prometheus gives up on these (overloaded, query timeout) and may well not next time; the rest is the query's fault. */
const TRANSIENT_ERROR_TYPES = new Set(['timeout', 'canceled', 'unavailable']);

export function createPromQueryStep(deps: { config: ConfigStore }) {
  return async function runbookPromQuery(args: PromQueryArgs): Promise<PromQueryResult> {
    const settings = runbookSettings(deps.config, args);
    const base = serviceUrl('prometheusUrl', args.prometheusUrl, settings, args, 'waitFor');
    const url = under(base, 'api/v1/query');
    url.searchParams.set('query', args.query);
    url.searchParams.set('timeout', `${QUERY_TIMEOUT_S}s`);
    const res = await send({ method: 'GET', url, timeoutMs: REQUEST_TIMEOUT_MS });
    const answer = parseAnswer(res);
    if (answer.status === 'error') {
      const reason = `${answer.error || 'no reason given'}${answer.errorType ? ` (${answer.errorType})` : ''}`;
      if (res.status >= 500 || res.status === 429 || TRANSIENT_ERROR_TYPES.has(answer.errorType)) {
        throw unavailable(`Prometheus at ${base.host} could not answer ${JSON.stringify(args.query)} now: ${reason}`);
      }
      // Bad PromQL, or a query that cannot run: a bug in the runbook, which a retry only repeats.
      throw refused(STEP_FAILURE.promQuery, `Prometheus refused the query ${JSON.stringify(args.query)}: ${reason}`, { errorType: answer.errorType });
    }
    const { data } = answer;
    if (data.resultType === 'scalar') return { samples: [sample({}, data.result[1])] };
    if (data.resultType !== 'vector') {
      throw refused(STEP_FAILURE.promQuery, `the query ${JSON.stringify(args.query)} returns a ${data.resultType}; waitFor needs an instant vector or a scalar`);
    }
    return {
      samples: data.result.map((s) => {
        if (!s.value) throw refused(STEP_FAILURE.promQuery, `the query ${JSON.stringify(args.query)} returns native histograms; compare a number (e.g. histogram_quantile) instead`);
        return sample(s.metric, s.value[1]);
      }),
    };
  };
}

/** The envelope, or the failure the HTTP answer stands for when it is not one (a proxy's 502, a wrong URL's 404). */
function parseAnswer(res: StepResponse): Answer {
  const parsed = answerSchema.safeParse(res.json());
  if (parsed.success) return parsed.data;
  if (res.status < 200 || res.status >= 300) throw res.failure();
  throw refused(STEP_FAILURE.rejected, `${res.what} answered ${res.status} with something that is not a Prometheus API answer: ${res.excerpt()}`);
}

/**
 * NaN and ±Inf are numbers in JS but become null in Temporal's JSON payloads: for them the sample
 * also carries Prometheus' text, so a comparison can tell "no number" from 0.
 */
function sample(labels: Record<string, string>, text: string): PromQueryResult['samples'][number] {
  const value = Number(text);
  return Number.isFinite(value) ? { labels, value } : { labels, value, text };
}
