import { z } from 'zod';
import { duration } from './durationSchema';
import { timeZone } from './schedules';

/**
 * Anomaly-aware severity per tenant (src/anomaly/, models/). `shadow` (default) records the score
 * and what `enforce` would have done; `advise` also shows the score and reason in messages;
 * `enforce` changes the effective severity; `off` skips scoring and retraining.
 */
export const anomalySchema = z
  .object({
    mode: z.enum(['off', 'shadow', 'advise', 'enforce']).default('shadow'),
    /** Ensemble score at or above which `enforce` raises severity by one level. */
    raiseAbove: z.number().min(0).max(1).default(0.9),
    /** Score at or below which `enforce` may lower severity (or hold) for patterns mostly labelled noise. */
    noiseBelow: z.number().min(0).max(1).default(0.2),
    /** What `enforce` does with a low-scoring incident of a noisy pattern: page one level lower, or hold without paging. */
    noiseAction: z.enum(['lower', 'hold']).default('lower'),
    /**
     * A pattern (same alertname and service) is "mostly noise" when at least this share of the
     * labelled outcomes among its newest 200 incidents in `trainingWindow` were noise (transient or
     * marked noise), out of at least `noiseMinOutcomes`.
     */
    noiseShare: z.number().min(0.5).max(1).default(0.8),
    noiseMinOutcomes: z.number().int().min(1).default(5),
    /** Resolved with nobody acking within this long → labelled transient (noise). */
    transientWithin: duration().prefault('15m'),
    /** How far back retraining (and the noise-pattern check) looks. */
    trainingWindow: duration().prefault('90d'),
    /** Retraining schedule (cron, five fields) in `timeZone`; also the zone of the time-of-day features. */
    retrainCron: z
      .string()
      .refine((s) => s.trim().split(/\s+/).length === 5 || /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(s.trim()), {
        error: (i) => `"${String(i.input)}" is not a five-field cron expression (e.g. "0 3 * * *")`,
      })
      .default('0 3 * * *'),
    timeZone: timeZone().default('UTC'),
    /** Below this many labelled incidents in the window the model stays off for the tenant, and says so. */
    minTrainingRows: z.number().int().min(10).default(200),
  })
  .strict()
  .refine((a) => a.noiseBelow < a.raiseAbove, { error: 'noiseBelow must be below raiseAbove', path: ['noiseBelow'] });

export type AnomalyConfig = z.infer<typeof anomalySchema>;
export type AnomalyMode = AnomalyConfig['mode'];
