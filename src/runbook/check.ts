import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths';
import { loadRunbooks, runbookFiles } from './load';

/** Modules a runbook may import: its step library, zod, and its own helper files. */
const ALLOWED = new Set(['klaxon/runbook', 'zod']);

/**
 * `klaxon validate` for runbooks: every problem as `file:line: reason`. A runbook is workflow code,
 * so it may import only the step library, zod and relative files (anything else could be
 * non-deterministic, and the worker's bundler would refuse it); it must type-check against the
 * step library; and it must load (name, mode, matchers, timeout, parameter defaults).
 */
export function checkRunbooks(dirs: string[]): { files: number; problems: string[] } {
  const files = runbookFiles(dirs);
  const problems: string[] = [];
  let ts: typeof import('typescript') | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript') as typeof import('typescript');
  } catch {
    problems.push('(type check skipped: the typescript package is not installed here; install dev dependencies to check types)');
  }
  if (ts) {
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
      for (const statement of source.statements) {
        const spec = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
        if (spec === undefined || spec.startsWith('.') || ALLOWED.has(spec)) continue;
        const { line } = source.getLineAndCharacterOfPosition(statement.getStart());
        problems.push(`${file}:${line + 1}: imports "${spec}": a runbook is workflow code and may import only klaxon/runbook, zod and its own files (use ctx.http / ctx.exec for side effects)`);
      }
    }
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      types: [],
      baseUrl: projectRoot,
      paths: { 'klaxon/runbook': ['src/runbook/index.ts'], '*': [join(projectRoot, 'node_modules/*')] },
    });
    for (const d of ts.getPreEmitDiagnostics(program)) {
      // Only the runbooks' own problems (the step library is checked with Klaxon).
      if (!d.file || !files.includes(d.file.fileName)) continue;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      problems.push(`${d.file.fileName}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  if (!problems.some((p) => !p.startsWith('('))) problems.push(...loadRunbooks(dirs).errors);
  return { files: files.length, problems };
}
