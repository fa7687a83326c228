import { stringify } from 'yaml';
import type { z } from 'zod';
import type { notifyStep, policySchema, repeatStep, waitStep } from '../config/schema';
import type { scheduleSchema, userSchema } from '../config/schedules';

/**
 * The tenants file an import writes: the mapped users, schedules and escalation policies under one
 * tenant, with the fields every tenant needs. Tokens are `${ENV}` placeholders (Klaxon refuses
 * inline secrets); nothing secret is read from the export, so nothing secret can be written.
 */

/** The steps an import writes (the policy schema's own step type is opaque: it picks the schema by key). */
export type ImportedStep = z.input<typeof notifyStep> | z.input<typeof waitStep> | z.input<typeof repeatStep>;

export interface ImportedTenant {
  users: Record<string, z.input<typeof userSchema>>;
  schedules: Record<string, z.input<typeof scheduleSchema>>;
  escalationPolicies: Record<string, Omit<z.input<typeof policySchema>, 'steps'> & { steps: ImportedStep[] }>;
}

/** An exact instant as override times are written: `2026-01-14T11:00:00Z`. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function envPrefix(tenant: string): string {
  return tenant.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** YAML text of `tenants: { <tenant>: … }`, with a header saying where it came from and what to set. */
export function tenantsYaml(tenant: string, vendor: string, imported: ImportedTenant): string {
  const policies = Object.keys(imported.escalationPolicies);
  if (!policies.length) throw new Error('no escalation policy could be mapped: a tenant needs one as its defaultPolicy');
  const env = envPrefix(tenant);
  const doc = {
    tenants: {
      [tenant]: {
        webhook: { token: `\${${env}_WEBHOOK_TOKEN}` },
        api: { token: `\${${env}_API_TOKEN}` },
        users: imported.users,
        schedules: imported.schedules,
        escalationPolicies: imported.escalationPolicies,
        defaultPolicy: policies[0],
      },
    },
  };
  const header = [
    `# Imported from ${vendor} by \`klaxon import\`. Check the report it printed, then:`,
    `#  - set ${env}_WEBHOOK_TOKEN and ${env}_API_TOKEN in the environment;`,
    '#  - add receivers and userChannels (how people are reached) and routes (README: Escalation policies);',
    '#  - run `klaxon validate` and `klaxon oncall <tenant> <schedule> --next 10` to compare with the old tool.',
  ];
  return header.join('\n') + '\n' + stringify(doc, { lineWidth: 0 });
}
