import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Reading one file of a vendor export: JSON parsed and checked against the zod schema of what the
 * vendor's endpoint returns. A problem names the file and the field, in the JSON path style people
 * see in their editor (`results[2].rolling_users[0]`), so a hand-edited export can be fixed.
 */

export class ImportInputError extends Error {
  constructor(readonly file: string, readonly problems: Array<{ path: string; message: string }>) {
    super(`${file}: not a valid export:\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ImportInputError';
  }
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '') || '(root)';
}

/** Parses `dir/file` with `schema`; a missing optional file gives undefined. */
export function readExportFile<S extends z.ZodType>(dir: string, file: string, schema: S, optional = false): z.output<S> | undefined {
  const full = join(dir, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && optional) return undefined;
    throw new ImportInputError(full, [{ path: '(file)', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ImportInputError(full, [{ path: '(file)', message: `not JSON: ${(err as Error).message}` }]);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new ImportInputError(full, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  return r.data;
}

/**
 * A list response (`{ <key>: [...] , paging… }`), or a JSON array of such pages when the list came in
 * several: the items of all pages. Issues keep their full path (`[1].results[3].type` in a page array).
 */
export function pagedList<T extends z.ZodType>(key: string, item: T) {
  const page = z.looseObject({ [key]: z.array(item) });
  return z.unknown().transform((raw, ctx): Array<z.output<T>> => {
    const many = Array.isArray(raw);
    const out: Array<z.output<T>> = [];
    (many ? (raw as unknown[]) : [raw]).forEach((p, i) => {
      const r = page.safeParse(p);
      if (r.success) out.push(...(r.data[key] as Array<z.output<T>>));
      else for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: many ? [i, ...issue.path] : issue.path });
    });
    if (many && (raw as unknown[]).length === 0) ctx.addIssue({ code: 'custom', message: 'an empty list of pages' });
    return out;
  });
}
