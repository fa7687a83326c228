import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from '../paths';

/** Source folders that end up in the workflow bundle (workflows import pure helpers from src/). */
const SOURCES = ['workflows', 'src/incident', 'src/delivery/pager.ts', 'src/delivery/policy.ts', 'src/temporal/searchAttributes.ts', 'src/notifiers/types.ts'];

function fingerprint(): string {
  const h = createHash('sha256');
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p).sort()) visit(join(p, f));
    else h.update(p).update(readFileSync(p));
  };
  for (const s of SOURCES) if (existsSync(join(projectRoot, s))) visit(join(projectRoot, s));
  return h.digest('hex').slice(0, 16);
}

/**
 * Returns a path to the bundled workflow code, building it once per source version; worker starts
 * after the first reuse the file (bundling takes seconds, loading it milliseconds).
 */
export async function prebuiltWorkflowBundle(cacheDir: string): Promise<{ codePath: string }> {
  const codePath = join(cacheDir, `workflow-bundle-${fingerprint()}.js`);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve(join(projectRoot, 'workflows')),
      logger: { info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error, log() {} },
    });
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(codePath, code);
  }
  return { codePath };
}
