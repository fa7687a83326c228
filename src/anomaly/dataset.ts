/**
 * The training window of a tenant, exported from the audit store: every incident that started in
 * [from, to), oldest first, as a float32 feature matrix plus per-row facts (id, start time, label,
 * pattern). Classified incidents contribute the vector recorded when they were scored; older ones
 * are reconstructed from their labels and start time (vector.ts). Labels follow labels.ts.
 */
import { FEATURE_DIM, FEATURE_VERSION } from '../../models/features';
import type { ModelStore } from '../store/models';
import { deriveLabel, type Outcome } from './labels';
import { DAY_MS, HistoryIndex, incidentVector, patternKey, RECONSTRUCT_LOOKBACK_MS } from './vector';

/** Columnar per-row facts, stored as JSON beside the matrix (model_training_sets.meta). */
export interface DatasetMeta {
  ids: string[];
  /** Start time, ms since the epoch (rows are in this order). */
  t: number[];
  /** 1 actionable, 0 transient or noise, -1 unlabelled. */
  y: number[];
  /** alertname|service */
  pattern: string[];
  /** 1 when the vector was reconstructed rather than recorded at classification. */
  reconstructed: number[];
}

export interface DatasetSummary {
  from: string;
  to: string;
  rows: number;
  labelled: number;
  actionable: number;
  noise: number;
  reconstructed: number;
  outcomes: Record<Outcome, number>;
}

export interface Dataset {
  features: Float32Array;
  dim: number;
  meta: DatasetMeta;
  summary: DatasetSummary;
}

export async function exportDataset(
  store: ModelStore,
  args: { tenant: string; from: Date; to: Date; transientWithinMs: number; timeZone: string; batchSize?: number; maxRows?: number },
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
  const meta: DatasetMeta = { ids: [], t: [], y: [], pattern: [], reconstructed: [] };
  const chunks: Float32Array[] = [];
  const outcomes: Record<Outcome, number> = { actionable: 0, transient: 0, noise: 0 };
  let after: { startedAt: string; id: string } | undefined;
  const batchSize = args.batchSize ?? 2000;
  onProgress(0, total);
  for (;;) {
    const page = await store.trainingIncidents({ tenant: args.tenant, from, to, featureVersion: FEATURE_VERSION, after, limit: batchSize });
    for (const inc of page) {
      const t = Date.parse(inc.startedAt);
      const label = deriveLabel(inc, args.transientWithinMs);
      let v = inc.features;
      if (!v || v.length !== FEATURE_DIM) {
        const alert = { fingerprint: inc.id, status: 'firing' as const, labels: inc.labels, annotations: {}, startsAt: inc.startedAt };
        v = incidentVector([alert], new Date(t), history.historyAt(inc.alertname, inc.labels, t), args.timeZone);
        meta.reconstructed.push(1);
      } else meta.reconstructed.push(0);
      chunks.push(v);
      meta.ids.push(inc.id);
      meta.t.push(t);
      meta.y.push(label ? label.y : -1);
      meta.pattern.push(patternKey(inc.alertname, inc.service));
      if (label) outcomes[label.outcome]++;
    }
    onProgress(meta.ids.length, total);
    if (page.length < batchSize) break;
    const last = page[page.length - 1];
    after = { startedAt: last.startedAt, id: last.id };
  }
  const features = new Float32Array(chunks.length * FEATURE_DIM);
  chunks.forEach((v, i) => features.set(v, i * FEATURE_DIM));
  const labelled = meta.y.filter((y) => y >= 0).length;
  return {
    features,
    dim: FEATURE_DIM,
    meta,
    summary: {
      from,
      to,
      rows: meta.ids.length,
      labelled,
      actionable: meta.y.filter((y) => y === 1).length,
      noise: meta.y.filter((y) => y === 0).length,
      reconstructed: meta.reconstructed.reduce((a, b) => a + b, 0),
      outcomes,
    },
  };
}
