import { z } from 'zod';

/**
 * A tenant's runbook settings (issue #9): the kill switch, where `waitFor` and `silence` go by
 * default, and the allow-lists that bound what a runbook's `http` and `exec` steps may touch.
 * Runbook code is reviewed like any code, but its parameters come from alert labels: the lists
 * are what an operator, not a runbook author, decides.
 */

/** `host` (any port) or `host:port`; IPv6 in brackets (`[::1]:9090`). Compared case-insensitively. */
const allowedHost = z
  .string()
  .regex(/^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i, 'must be a host or host:port, without scheme or path (e.g. deploy.internal:8443)');

/** An absolute path: a bare name would be looked up in the worker's PATH, which is not what was reviewed. */
const commandPath = z.string().regex(/^\/\S/, 'must be an absolute path to the command (e.g. /usr/local/bin/restart-service)');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const runbooksSchema = z
  .object({
    /** The tenant's kill switch: `false` refuses every runbook step (and start) for this tenant. */
    enabled: z.boolean().default(true),
    /** Prometheus base URL for `waitFor` (instant queries to `/api/v1/query`) when a step names none. */
    prometheusUrl: httpUrl.optional(),
    /** Alertmanager base URL for `silence` / `expireSilence` (API v2) when a step names none. */
    alertmanagerUrl: httpUrl.optional(),
    /**
     * Hosts the `http` step may call; any other is refused. Also bounds a `prometheusUrl` or
     * `alertmanagerUrl` a step passes itself (the two above are allowed without being listed).
     */
    http: z.object({ allowHosts: z.array(allowedHost).default([]) }).strict().prefault({}),
    /** Exact command paths the `exec` step may run (no shell); empty, the default, turns `exec` off. */
    exec: z.object({ allow: z.array(commandPath).default([]) }).strict().prefault({}),
    /** Automatic (`mode: auto`) runs per runbook and tenant in any hour; more are refused and recorded. */
    maxAutoRunsPerHour: z.number().int().min(0).default(3),
  })
  .strict();

export type RunbooksConfig = z.infer<typeof runbooksSchema>;
