/**
 * The scale targets of issue #11 in one table, from the numbers the ingest and escalation sections
 * measured earlier in the same `npm run bench` run (never from an earlier run).
 */
import { ms, rate } from './support/stats';
import { scaleResults as r } from './support/scale';

const mark = (ok: boolean) => (ok ? '✅' : '❌');

export async function benchScale(): Promise<string> {
  const ingest = r.ingestPerSec !== undefined;
  const parked = r.parkedN !== undefined;
  if (!ingest && !parked) throw new Error('run it with the sections it reads: npm run bench -- ingest escalation scale');
  const none = '| not measured in this run | |';
  const rows = [
    parked
      ? `| worker RSS with ${r.parkedN!.toLocaleString('en-US')} incidents parked on timers | ${r.parkedRssMb!.toFixed(0)} MB (${r.parkedRssAt1000Mb!.toFixed(0)} MB at 1,000; peak ${r.parkedRssPeakMb!.toFixed(0)} MB; ${r.cachedWorkflows} cached) | < 1 GiB total, flat after the first 1,000 ${mark(r.parkedRssMb! < 1024 && r.parkedRssMb! - r.parkedRssAt1000Mb! < 100)} |`
      : `| worker RSS with incidents parked on timers ${none}`,
    parked ? `| timer lateness with ${r.parkedN!.toLocaleString('en-US')} parked, p99 (probe incidents) | ${ms(r.latenessP99Ms!)} | < 1 s ${mark(r.latenessP99Ms! < 1000)} |` : `| timer lateness p99 ${none}`,
    ...(ingest
      ? [
          `| webhook ingest / ceiling (\`workflow.start\` of a no-op workflow, same server, same run) | ${(r.ingestPerSec! / r.ceilingPerSec!).toFixed(2)} (${rate(r.ingestPerSec!)} / ${rate(r.ceilingPerSec!)}) | ≥ 0.8 ${mark(r.ingestPerSec! / r.ceilingPerSec! >= 0.8)} |`,
          `| incidents paged per second in a burst / a minimal workflow running one activity that POSTs to the same receiver | ${(r.burstNotifiedPerSec! / r.pageWorkflowPerSec!).toFixed(2)} (${rate(r.burstNotifiedPerSec!)} / ${rate(r.pageWorkflowPerSec!)}) | ≥ 0.8 ${mark(r.burstNotifiedPerSec! / r.pageWorkflowPerSec! >= 0.8)} |`,
          `| Temporal server CPU per incident, webhook to first page / per bare start | ${(r.temporalCpuPerIncidentMs! / r.temporalCpuPerStartMs!).toFixed(1)}× (${ms(r.temporalCpuPerIncidentMs!)} / ${ms(r.temporalCpuPerStartMs!)}) | ≤ 2× ${mark(r.temporalCpuPerIncidentMs! / r.temporalCpuPerStartMs! <= 2)} |`,
          `| ${r.burstN}-group burst: first page p99 | ${ms(r.burstFirstPageP99Ms!)} | < 5 s ${mark(r.burstFirstPageP99Ms! < 5000)} |`,
          `| steady ${r.steadyRate}/s: first page p95 / p99 | ${ms(r.steadyFirstPageP95Ms!)} / ${ms(r.steadyFirstPageP99Ms!)} | p99 < 100 ms ${mark(r.steadyFirstPageP99Ms! < 100)} |`,
          `| unchanged re-sends accepted per second, zero Temporal writes | ${rate(r.resendPerSec!)} (${r.resendUnchanged}/${r.resendTotal} unchanged, client: ${r.resendClient ?? 'another process'}; Temporal server CPU ${ms(r.resendTemporalCpuMs!)} each; Klaxon CPU ${ms(r.resendKlaxonCpuMs!)} each = ${rate(1000 / r.resendKlaxonCpuMs!)} per core) | ≥ 5,000/s ${mark(r.resendPerSec! >= 5000)} |`,
        ]
      : ['| ingest measures | not measured in this run | |']),
  ];
  return [
    '## Scale targets (issue #11)',
    '',
    'From the ingest and escalation sections of this same run (their sections above/below have the detail and the machine load).',
    '',
    '| measure | this run | target |',
    '| --- | --- | --- |',
    ...rows,
    ...(ingest ? whyMissed() : []),
  ].join('\n');
}

/**
 * For each target this run missed, the reason, from this run's own numbers: what the same machine
 * does for the least the measure could be (a do-nothing start, a minimal durable page).
 */
function whyMissed(): string[] {
  const why: string[] = [];
  const perIncident = r.temporalCpuPerIncidentMs! + r.klaxonCpuPerIncidentMs!;
  const perPage = r.pageTemporalCpuMs! + r.pageProcessCpuMs!;
  if (r.ingestPerSec! / r.ceilingPerSec! < 0.8) {
    const own = r.ownCallPerSec !== undefined ? `Klaxon's own start call into a workflow that does nothing (b2) runs at ${(r.ownCallPerSec / r.ceilingPerSec!).toFixed(2)} of the ceiling; ` : '';
    why.push(
      `- **Ingest / ceiling**: ${own}the rest is the work of the incidents just accepted, which the worker does on the same cores while the burst still arrives: ${ms(perIncident)} of CPU per incident (Temporal server ${ms(r.temporalCpuPerIncidentMs!)}, Klaxon ${ms(r.klaxonCpuPerIncidentMs!)}) where the ceiling's do-nothing workflow costs the server ${ms(r.temporalCpuPerStartMs!)}.`,
    );
  }
  if (r.burstNotifiedPerSec! / r.pageWorkflowPerSec! < 0.8) {
    why.push(
      `- **Burst paging / minimal page**: an incident, webhook to page with its audit rows, costs ${ms(perIncident)} of CPU (Temporal server ${ms(r.temporalCpuPerIncidentMs!)}, Klaxon ${ms(r.klaxonCpuPerIncidentMs!)}); the minimal page, start to page, ${ms(perPage)} (server ${ms(r.pageTemporalCpuMs!)}, its worker ${ms(r.pageProcessCpuMs!)}). On cores the burst keeps busy, equal CPU would allow ${(perPage / perIncident).toFixed(2)} of its rate.`,
    );
  }
  if (r.burstFirstPageP99Ms! >= 5000) {
    why.push(
      `- **${r.burstN}-group burst p99**: even the minimal durable page pages ${rate(r.pageWorkflowPerSec!)} on this machine, so ${r.burstN} of them take ${ms((r.burstN! / r.pageWorkflowPerSec!) * 1000)} at best; a p99 under 5 s needs about ${rate(r.burstN! / 5)} from the same server and cores.`,
    );
  }
  return why.length ? ['', 'Where a target is missed, why (this run\'s numbers):', '', ...why] : [];
}
