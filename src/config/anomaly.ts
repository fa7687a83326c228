import { z } from 'zod';
import { duration } from './duration';

/**
 * Anomaly-aware severity per tenant. `shadow` (default) records the score only; `advise` shows it
 * in messages; `enforce` changes the effective severity; `off` skips scoring.
 */
export const anomalySchema = z
  .object({
    mode: z.enum(['off', 'shadow', 'advise', 'enforce']).default('shadow'),
    /** Ensemble score at or above which `enforce` raises severity by one level. */
    raiseAbove: z.number().min(0).max(1).default(0.9),
    /** Score at or below which `enforce` may lower severity (or hold) for patterns mostly labelled noise. */
    noiseBelow: z.number().min(0).max(1).default(0.2),
    /** Resolved with nobody acking within this long → labelled transient. */
    transientWithin: duration().prefault('15m'),
    /** Retraining schedule (cron) in `timeZone`. */
    retrainCron: z.string().default('0 3 * * *'),
    timeZone: z.string().default('UTC'),
    /** Below this many labelled incidents the model stays off for the tenant, and says so. */
    minTrainingRows: z.number().int().min(10).default(200),
  })
  .strict();

export type AnomalyConfig = z.infer<typeof anomalySchema>;
