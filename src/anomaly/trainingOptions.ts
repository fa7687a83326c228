import { z } from 'zod';

/**
 * Knobs of one retrain (workflow input, `POST /api/v1/models/retrain` body). Everything is optional:
 * the defaults are the production ones (activities/training.ts); tests pass small models.
 */
export const trainingOptionsSchema = z
  .object({
    /** Training window length in days (default: the tenant's `anomaly.trainingWindow`). */
    windowDays: z.number().positive().max(3650).optional(),
    /** Newest rows kept when the window holds more (default 200,000). */
    maxRows: z.number().int().min(10).max(2_000_000).optional(),
    /** Share of the newest rows held out for evaluation (default 0.2). */
    holdoutFraction: z.number().min(0.05).max(0.5).optional(),
    seed: z.number().int().min(0).optional(),
    /** Isolation forest trees (default 100) and subsample ψ (default 256). */
    nTrees: z.number().int().min(1).max(1000).optional(),
    sampleSize: z.number().int().min(2).max(100_000).optional(),
    /** Autoencoder epochs (default: ~300k rows presented, 1-100 epochs), batch size, hidden units. */
    epochs: z.number().int().min(1).max(1000).optional(),
    batchSize: z.number().int().min(1).max(65_536).optional(),
    hiddenUnits: z.number().int().min(2).max(1024).optional(),
  })
  .strict();

export type TrainingOptions = z.infer<typeof trainingOptionsSchema>;
