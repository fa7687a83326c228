import { z } from 'zod';

export type ParamsResult = { ok: true; value: any } | { ok: false; error: string };

/**
 * A run's parameters: the value a person gave, else the incident's label, then annotation, of the
 * same name, else the schema's default. Pure (the runbook workflow and the dry run both use it).
 */
export function resolveParams(schema: z.ZodType | undefined, given: Record<string, string>, incident: { labels: Record<string, string>; annotations: Record<string, string> }): ParamsResult {
  if (!schema) return { ok: true, value: {} };
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const raw: Record<string, unknown> = {};
  for (const k of keys) {
    const v = given[k] ?? incident.labels[k] ?? incident.annotations[k];
    if (v !== undefined) raw[k] = v;
  }
  for (const [k, v] of Object.entries(given)) if (!(k in raw)) raw[k] = v;
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: `params: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
}
