/**
 * The active model of each tenant, loaded once per version and kept in memory.
 *
 * Freshness costs nothing: classify already reads the tenant's active model id in the same query as
 * the incident's history (ModelStore.classifyContext), and passes it here. A different id than the
 * cached one loads the new weights (single-flight: concurrent classifications of the tenant share
 * one load) and swaps them in; so a promotion is picked up by every worker on its next incident,
 * without a restart and without a polling timer. While a new version loads, calls wait for it
 * (tens of ms); a version that fails to load is not retried for `retryFailedAfterMs`.
 */
import type { Ensemble } from '../../models/ensemble';
import type { ModelStore } from '../store/models';
import type { VectorStyle } from './vector';

export interface LoadedModel {
  id: number;
  tenant: string;
  version: number;
  featureVersion: number;
  /** Labelled incidents in the window it was trained on (for the cold-start gate). */
  labelledRows: number;
  /** The vector style it was trained on, and so scores (dataset.ts). */
  vectors: VectorStyle;
  ensemble: Ensemble;
  loadMs: number;
}

interface Entry {
  id: number;
  loading: Promise<LoadedModel>;
  loaded?: LoadedModel;
  failedAt?: number;
  error?: Error;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: ModelStore,
    private readonly options: { retryFailedAfterMs?: number; onLoad?: (m: LoadedModel) => void } = {},
  ) {}

  /** The tenant's model for active id `activeId` (null: no active model). Throws when it cannot be loaded. */
  async get(tenant: string, activeId: number | null): Promise<LoadedModel | null> {
    const entry = this.entries.get(tenant);
    if (activeId === null) {
      if (entry) this.drop(tenant, entry);
      return null;
    }
    if (entry && entry.id === activeId) {
      if (entry.error && Date.now() - entry.failedAt! < (this.options.retryFailedAfterMs ?? 60_000)) throw entry.error;
      if (!entry.error) return entry.loaded ?? entry.loading;
    }
    const next: Entry = { id: activeId, loading: this.load(tenant, activeId) };
    this.entries.set(tenant, next);
    try {
      const loaded = await next.loading;
      next.loaded = loaded;
      // Dispose the previous version's tfjs weights; single-vector scoring never touches them
      // (models/autoencoder.ts scores in plain TypeScript on copies), so in-flight calls are safe.
      if (entry && entry !== next) {
        if (entry.loaded) entry.loaded.ensemble.dispose();
        else entry.loading.then((m) => m.ensemble.dispose(), () => undefined);
      }
      this.options.onLoad?.(loaded);
      return loaded;
    } catch (err) {
      next.error = err as Error;
      next.failedAt = Date.now();
      throw err;
    }
  }

  /** What is loaded now (for metrics and tests). */
  loadedVersion(tenant: string): number | undefined {
    return this.entries.get(tenant)?.loaded?.version;
  }

  clear(): void {
    for (const [tenant, entry] of this.entries) this.drop(tenant, entry);
  }

  private drop(tenant: string, entry: Entry): void {
    this.entries.delete(tenant);
    entry.loaded?.ensemble.dispose();
  }

  private async load(tenant: string, id: number): Promise<LoadedModel> {
    const started = performance.now();
    const w = await this.store.loadWeights(id);
    if (!w) throw new Error(`model ${id} of ${tenant} disappeared`);
    if (!w.iforest || !w.autoencoder) throw new Error(`model v${w.version} of ${tenant} has no weights`);
    // Required on first use: tfjs costs ~0.35 s to import, which processes that never score skip.
    // (require, not import(): under bin/klaxon.js only tsx's CommonJS hook is installed.)
    const { Ensemble, ENSEMBLE_FORMAT_VERSION } = require('../../models/ensemble') as typeof import('../../models/ensemble');
    const ensemble = await Ensemble.fromJSON({ format: 'klaxon.ensemble', version: ENSEMBLE_FORMAT_VERSION, featureVersion: w.featureVersion, iforest: w.iforest, autoencoder: w.autoencoder });
    return {
      id,
      tenant,
      version: w.version,
      featureVersion: w.featureVersion,
      labelledRows: Number(w.dataWindow.labelled ?? 0),
      vectors: w.params.vectors === 'reconstructed' ? 'reconstructed' : 'recorded',
      ensemble,
      loadMs: performance.now() - started,
    };
  }
}
