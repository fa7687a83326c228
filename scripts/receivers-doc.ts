/**
 * Writes docs/receivers.md from the receiver schemas (src/config/receivers.ts), the one source of
 * what a receiver accepts: `npx tsx scripts/receivers-doc.ts` writes it, `--check` exits 1 when the
 * checked-in file is stale (the test suite runs the same comparison).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { receiverSchema } from '../src/config/receivers';
import { projectRoot } from '../src/paths';

export const RECEIVERS_DOC = join(projectRoot, 'docs', 'receivers.md');

type Json = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  format?: string;
  items?: Json;
  anyOf?: Json[];
  properties?: Record<string, Json>;
  required?: string[];
  additionalProperties?: Json | boolean;
  propertyNames?: Json;
  'x-secret'?: boolean;
  'x-duration'?: boolean;
  /** `.meta({ examples })`: a valid value where the field name would not be one (an E.164 number, an account id). */
  examples?: unknown[];
};

/** Fields a receiver needs beyond its schema's `required` (a rule across fields, e.g. Slack's "webhookUrl, or token and channel"). */
const ALSO_IN_EXAMPLE: Record<string, string[]> = { slack: ['token', 'channel'] };

function typeOf(j: Json): string {
  if (j['x-secret']) return 'secret (`${ENV_VAR}`)';
  if (j['x-duration']) return 'duration';
  if (j.const !== undefined) return `\`${JSON.stringify(j.const)}\``;
  if (j.enum) return j.enum.map((v) => `\`${v}\``).join(' | ');
  if (j.anyOf) return j.anyOf.map(typeOf).join(' | ');
  if (j.type === 'array') return `list of ${j.items ? typeOf(j.items) : 'values'}`;
  if (j.type === 'object' && j.propertyNames?.enum && typeof j.additionalProperties === 'object') {
    return `map ${j.propertyNames.enum.join('/')} → ${typeOf(j.additionalProperties)}`;
  }
  if (j.type === 'object' && j.properties) return 'object (below)';
  if (j.type === 'object') return 'map of string → string';
  if (j.format === 'uri') return 'URL';
  return String(j.type ?? 'any');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(props: Record<string, Json>, required: string[], prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, j] of Object.entries(props)) {
    if (name === 'type' && !prefix) continue;
    const need = required.includes(name) ? '**required**' : j.default !== undefined ? `\`${JSON.stringify(j.default)}\`` : 'optional';
    out.push(`| \`${prefix}${name}\` | ${cell(typeOf(j))} | ${cell(need)} | ${cell(j.description ?? '')} |`);
    if (j.type === 'object' && j.properties) out.push(...rows(j.properties, j.required ?? [], `${prefix}${name}.`));
  }
  return out;
}

function exampleValue(type: string, field: string, j: Json): string {
  if (j['x-secret']) return `"\${${type.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}}"`;
  if (j.const !== undefined) return String(j.const);
  if (j.examples?.length) return JSON.stringify(j.examples[0]);
  if (j.enum) return String(j.enum[0]);
  if (j.format === 'uri') return (j.description?.match(/https:\/\/[^\s,`]+[^\s,`.]/)?.[0]) ?? 'https://example.com';
  if (j.type === 'array') return '[ops@example.com]';
  if (j.type === 'integer' || j.type === 'number') return '1';
  if (j.anyOf) return exampleValue(type, field, j.anyOf[0]);
  return field;
}

function example(type: string, j: Json, indent = '    ', also: string[] = []): string[] {
  const out: string[] = [];
  for (const name of [...(j.required ?? []), ...also]) {
    const f = j.properties![name];
    if (f.type === 'object' && f.properties) {
      out.push(`${indent}${name}:`, ...example(type, f, `${indent}  `));
    } else out.push(`${indent}${name}: ${exampleValue(type, name, f)}`);
  }
  return out;
}

/** The whole document, from the schemas as they are now. */
export function receiversDoc(): string {
  const parts = [
    '# Receivers',
    '',
    '<!-- Generated from src/config/receivers.ts by scripts/receivers-doc.ts; do not edit by hand. -->',
    '',
    'A tenant\'s `receivers:` map names each place Klaxon can send to. Every receiver has a `type` (one',
    'of the sections below) and the shared fields `timeout`, `rateLimit`, `circuitBreaker` and `fallback`.',
    'A **secret** must be written as a `${ENV_VAR}` reference (inline values are refused by `klaxon validate`).',
    'Durations are written like `10s`, `5m`, `1h`.',
    '',
  ];
  for (const option of receiverSchema.options) {
    const j = z.toJSONSchema(option, { io: 'input', unrepresentable: 'any' }) as Json;
    const type = String(j.properties!.type.const);
    parts.push(`## \`${type}\``, '');
    if (option.description) parts.push(option.description, '');
    parts.push('| field | type | required / default | description |', '| --- | --- | --- | --- |', ...rows(j.properties!, j.required ?? []), '');
    parts.push('Smallest configuration:', '', '```yaml', 'receivers:', `  my-${type}:`, ...example(type, j, '    ', ALSO_IN_EXAMPLE[type]), '```', '');
  }
  return parts.join('\n');
}

if (require.main === module) {
  const doc = receiversDoc();
  if (process.argv.includes('--check')) {
    const current = readFileSync(RECEIVERS_DOC, 'utf8');
    if (current !== doc) {
      process.stderr.write('docs/receivers.md is stale: run `npx tsx scripts/receivers-doc.ts`\n');
      process.exit(1);
    }
  } else writeFileSync(RECEIVERS_DOC, doc);
}
