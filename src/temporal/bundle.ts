import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from '../paths';
import { runbookFiles } from '../runbook/load';
import { FAILURE_CONVERTER_PATH } from './encryption';

/** Source folders that end up in the workflow bundle (workflows import pure helpers from src/). */
const SOURCES = ['workflows', 'src/incident', 'src/delivery/pager.ts', 'src/delivery/policy.ts', 'src/temporal/searchAttributes.ts', 'src/notifiers/types.ts', 'src/runbook', 'src/config/duration.ts', 'src/temporal/failureConverter.ts'];

function fingerprint(runbooks: string[]): string {
  const h = createHash('sha256');
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p).sort()) visit(join(p, f));
    else h.update(p).update(readFileSync(p));
  };
  for (const s of SOURCES) if (existsSync(join(projectRoot, s))) visit(join(projectRoot, s));
  for (const f of runbooks) visit(f);
  return h.digest('hex').slice(0, 16);
}

/**
 * The registry the runbook workflow imports as `klaxon-runbooks`: every runbook file of the
 * folders, by name. Generated, so the bundle holds exactly the runbooks it was built from.
 */
function writeRegistry(dir: string, files: string[], tag: string): string {
  const path = join(dir, `runbook-registry-${tag}.ts`);
  const lines = files.map((f, i) => `import r${i} from ${JSON.stringify(f.replace(/\.ts$/, ''))};`);
  lines.push(`import type { Runbook } from ${JSON.stringify(join(projectRoot, 'src/runbook/define'))};`);
  lines.push(`export const runbooks: Record<string, Runbook> = Object.fromEntries([${files.map((_, i) => `r${i}`).join(', ')}].map((r) => [r.name, r as Runbook]));`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/**
 * Returns a path to the bundled workflow code, building it once per source version; worker starts
 * after the first reuse the file (bundling takes seconds, loading it milliseconds).
 */
export async function prebuiltWorkflowBundle(cacheDir: string, runbooks: string[] = []): Promise<{ codePath: string }> {
  const files = runbookFiles(runbooks);
  const tag = fingerprint(files);
  const codePath = join(cacheDir, `workflow-bundle-${tag}.js`);
  if (!existsSync(codePath)) {
    mkdirSync(cacheDir, { recursive: true });
    const registry = writeRegistry(cacheDir, files, tag);
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve(join(projectRoot, 'workflows')),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: { info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error, log() {} },
      webpackConfigHook: (config) => {
        // Runbooks in a folder outside this package still find zod (and the step library) here.
        config.resolve = { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), join(projectRoot, 'node_modules')], alias: { ...(config.resolve?.alias as Record<string, string>), 'klaxon-runbooks': registry, 'klaxon/runbook': join(projectRoot, 'src/runbook/index.ts') } };
        return config;
      },
    });
    writeFileSync(codePath, code);
  }
  return { codePath };
}
