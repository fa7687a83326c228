/**
 * The training window of a tenant, exported from the audit store: every incident that started in
 * [from, to), oldest first, as a float32 feature matrix plus per-row facts (id, start time, label,
 * pattern). Labels follow labels.ts.
 *
 * Vectors come in two styles (vector.ts), and one model is trained, evaluated and scored in one:
 * - `recorded`: the vector classify recorded from the incident's own alerts (annotations, group
 *   size …). Used once the window holds at least `minTrainingRows` labelled classified incidents;
 *   then only classified incidents are exported.
 * - `reconstructed`: rebuilt from what the incidents table keeps (common labels, start time,
 *   history) — available for every incident, including those from before anomaly scoring existed.
 *   The bootstrap style; classify then scores incidents reconstructed the same way, so a model never
 *   sees a kind of vector it was not trained on.
 * For a `recorded` window the reconstructed vectors of the same rows are exported too (`alt`), so a
 * reconstructed-style active model can be evaluated on the same holdout.
 */
import { FEATURE_DIM, FEATURE_VERSION } from '../../models/features';
import type { ModelStore } from '../store/models';
import type { Redactor } from '../audit/redact';
import { deriveLabel, type Outcome } from './labels';
import { DAY_MS, HistoryIndex, incidentVector, patternKey, reconstructedAlerts, RECONSTRUCT_LOOKBACK_MS, type VectorStyle } from './vector';

/** Columnar per-row facts, stored as JSON beside the matrix (model_training_sets.meta). */
export interface DatasetMeta {
  ids: string[];
  /** Start time, ms since the epoch (rows are in this order). */
  t: number[];
  /** 1 actionable, 0 transient or noise, -1 unlabelled. */
  y: number[];
  /** alertname|service */
  pattern: string[];
}

export interface DatasetSummary {
  from: string;
  to: string;
  vectors: VectorStyle;
  /** Incidents in the window, and how many of them were classified (have a recorded vector). */
  incidents: number;
  classified: number;
  rows: number;
  labelled: number;
  actionable: number;
  noise: number;
  outcomes: Record<Outcome, number>;
}

export interface Dataset {
  /** rows × dim, in the `summary.vectors` style. */
  features: Float32Array;
  /** The same rows reconstructed, when `features` are recorded vectors. */
  alt: Float32Array | null;
  dim: number;
  meta: DatasetMeta;
  summary: DatasetSummary;
}

interface Row {
  id: string;
  t: number;
  y: number;
  outcome?: Outcome;
  pattern: string;
  recorded: Float32Array | null;
  reconstructed: Float32Array;
}

function matrix(rows: Row[], pick: (r: Row) => Float32Array): Float32Array {
  const out = new Float32Array(rows.length * FEATURE_DIM);
  rows.forEach((r, i) => out.set(pick(r), i * FEATURE_DIM));
  return out;
}

export async function exportDataset(
  store: ModelStore,
  args: { tenant: string; from: Date; to: Date; transientWithinMs: number; timeZone: string; minTrainingRows: number; batchSize?: number; maxRows?: number; redact?: Redactor },
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<Dataset> {
  const to = args.to.toISOString();
  const starts = await store.incidentStarts({ tenant: args.tenant, from: new Date(args.from.getTime() - Math.max(DAY_MS, RECONSTRUCT_LOOKBACK_MS)).toISOString(), to });
  // More incidents than maxRows: keep the newest (the window starts later).
  const inWindow = starts.map((s) => s.startedAt).filter((t) => t >= args.from.getTime()).sort((a, b) => a - b);
  const fromMs = args.maxRows && inWindow.length > args.maxRows ? inWindow[inWindow.length - args.maxRows] : args.from.getTime();
  const from = new Date(fromMs).toISOString();
  const total = inWindow.filter((t) => t >= fromMs).length;
  const history = new HistoryIndex(starts);

  const all: Row[] = [];
  let after: { startedAt: string; id: string } | undefined;
  const batchSize = args.batchSize ?? 2000;
  onProgress(0, total);
  for (;;) {
    const page = await store.trainingIncidents({ tenant: args.tenant, from, to, featureVersion: FEATURE_VERSION, after, limit: batchSize });
    for (const inc of page) {
      const t = Date.parse(inc.startedAt);
      const label = deriveLabel(inc, args.transientWithinMs);
      all.push({
        id: inc.id,
        t,
        y: label ? label.y : -1,
        outcome: label?.outcome,
        pattern: patternKey(inc.alertname, inc.service),
        recorded: inc.features && inc.features.length === FEATURE_DIM ? inc.features : null,
        // Redacted as classify redacts, so training rows and scored incidents agree.
        reconstructed: incidentVector(reconstructedAlerts(args.redact ? args.redact.tree(inc.labels) : inc.labels, inc.startedAt), new Date(t), history.historyAt(inc.alertname, inc.labels, t), args.timeZone),
      });
    }
    onProgress(all.length, total);
    if (page.length < batchSize) break;
    const last = page[page.length - 1];
    after = { startedAt: last.startedAt, id: last.id };
  }

  const classified = all.filter((r) => r.recorded);
  const vectors: VectorStyle = classified.filter((r) => r.y >= 0).length >= args.minTrainingRows ? 'recorded' : 'reconstructed';
  const rows = vectors === 'recorded' ? classified : all;
  const outcomes: Record<Outcome, number> = { actionable: 0, transient: 0, noise: 0 };
  for (const r of rows) if (r.outcome) outcomes[r.outcome]++;
  return {
    features: matrix(rows, (r) => (vectors === 'recorded' ? r.recorded! : r.reconstructed)),
    alt: vectors === 'recorded' ? matrix(rows, (r) => r.reconstructed) : null,
    dim: FEATURE_DIM,
    meta: { ids: rows.map((r) => r.id), t: rows.map((r) => r.t), y: rows.map((r) => r.y), pattern: rows.map((r) => r.pattern) },
    summary: {
      from,
      to,
      vectors,
      incidents: all.length,
      classified: classified.length,
      rows: rows.length,
      labelled: rows.filter((r) => r.y >= 0).length,
      actionable: rows.filter((r) => r.y === 1).length,
      noise: rows.filter((r) => r.y === 0).length,
      outcomes,
    },
  };
}
