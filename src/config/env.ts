import { z } from 'zod';
import { CIPHERS, DEFAULT_CIPHER } from '../crypto/keyring';
import { DEFAULT_WORKER_MEMORY, parseBytes } from '../temporal/workerMemory';

/** Process settings from the environment (infrastructure); tenants live in the YAML file. */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Loopback unless told otherwise: a first `npm start` is not reachable from the network (the image sets 0.0.0.0). */
  HOST: z.string().default('127.0.0.1'),
  KLAXON_CONFIG: z.string().default('config/tenants.yaml'),
  KLAXON_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /**
   * Security of the connection to TEMPORAL_ADDRESS (src/temporal/connectionOptions.ts): TLS (`true`,
   * or implied by any TLS file or an API key), a private CA, an mTLS client certificate and key, an
   * SNI override, and a Temporal Cloud API key (sent as `authorization: Bearer`), inline or in a file.
   */
  TEMPORAL_TLS: z.string().optional(),
  TEMPORAL_TLS_CA_FILE: z.string().optional(),
  TEMPORAL_TLS_CERT_FILE: z.string().optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_API_KEY_FILE: z.string().optional(),
  KLAXON_TASK_QUEUE: z.string().default('klaxon'),
  /** Web UI port of the embedded dev server; 0 turns the UI off. */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(0).max(65535).default(8233),
  TEMPORAL_PORT: z.coerce.number().int().min(0).max(65535).default(7233),
  LOG_LEVEL: z.string().default('info'),
  /** `pretty` (one readable line per event) or `json`; default: pretty when stdout is a terminal (src/logger.ts). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Runbook folders (`:`-separated); the worker bundles their files, the server lists them. */
  KLAXON_RUNBOOKS: z.string().default('./runbooks'),
  /**
   * Payload encryption keys, `<id>:<base64 32 bytes>` entries (the last encrypts), inline or in a
   * file; neither set: `<data dir>/encryption.keys`, created on first start (src/crypto/keySource.ts).
   */
  KLAXON_ENCRYPTION_KEYS: z.string().optional(),
  KLAXON_ENCRYPTION_KEYS_FILE: z.string().optional(),
  /** The cipher new payloads are written with; every payload records its own, so a change is safe any time. */
  KLAXON_ENCRYPTION_CIPHER: z.enum(CIPHERS).default(DEFAULT_CIPHER),
  /** Web UI origins the codec server answers (comma-separated); default: the embedded UI on localhost and 127.0.0.1. */
  KLAXON_CODEC_CORS_ORIGINS: z.string().optional(),
  /** The audit chain's key when the tenants file has no server.auditKey (src/audit/key.ts). */
  KLAXON_AUDIT_KEY: z.string().optional(),
  KLAXON_AUDIT_KEY_FILE: z.string().optional(),
  /**
   * Where the Temporal SDK serves its worker metrics (`host:port`); default a free port on
   * 127.0.0.1. /metrics appends them either way.
   */
  TEMPORAL_METRICS_ADDRESS: z.string().optional(),
  /**
   * The worker's memory budget (`1GiB`, `768MiB`): it sizes the sticky workflow cache so that the
   * process stays within it however many incidents are open (src/temporal/workerMemory.ts).
   */
  KLAXON_WORKER_MEMORY: z
    .string()
    .default(DEFAULT_WORKER_MEMORY)
    .transform((raw, ctx) => {
      const bytes = parseBytes(raw);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${raw}" is not a memory size (use e.g. 768MiB, 1GiB, 2G)` });
        return z.NEVER;
      }
      return bytes;
    }),
  /** `--role worker` has no HTTP API: set this to serve its /metrics (deliveries, audit counts, SDK metrics) on a port of its own. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
});

export type KlaxonEnv = z.infer<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): KlaxonEnv {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    throw new Error('invalid environment:\n' + r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return r.data;
}
