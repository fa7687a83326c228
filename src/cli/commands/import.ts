import { writeFileSync } from 'node:fs';
import { flag } from '../args';
import { parseConfig } from '../../config/load';
import { importOncall } from '../../import/oncall';
import { importOpsgenie } from '../../import/opsgenie';
import { envPrefix, tenantsYaml } from '../../import/tenantFile';

const USAGE = 'usage: klaxon import opsgenie|oncall <dir> [--tenant NAME] [--out FILE]\n';
const VALUE_FLAGS = ['--tenant', '--out'];
const IMPORTERS = { opsgenie: { run: importOpsgenie, label: 'Opsgenie' }, oncall: { run: importOncall, label: 'Grafana OnCall' } };

/** Exit codes: 0 everything mapped; 3 written, but the report lists items not mapped exactly; 1 bad input; 2 usage. */
export const EXIT_UNMAPPED = 3;

/**
 * `klaxon import opsgenie|oncall <dir>`: a vendor export (README: Moving in) as a tenants file on
 * stdout or --out, and the report of what could not be mapped on stderr.
 */
export async function importCommand(args: string[]): Promise<number> {
  const [vendor, dir, extra] = args.filter((a, i) => !a.startsWith('--') && !VALUE_FLAGS.includes(args[i - 1]));
  const tenant = flag(args, '--tenant') ?? vendor;
  if (!vendor || !dir || extra !== undefined || !Object.hasOwn(IMPORTERS, vendor)) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(tenant)) {
    process.stderr.write(`--tenant: "${tenant}" is not a tenant name (lower-case letters, digits, - and _)\n${USAGE}`);
    return 2;
  }
  const importer = IMPORTERS[vendor as keyof typeof IMPORTERS];
  let yaml: string;
  let report: ReturnType<typeof importOpsgenie>['report'];
  try {
    const result = importer.run(dir);
    report = result.report;
    yaml = tenantsYaml(tenant, importer.label, result.tenant);
  } catch (err) {
    // A malformed export (ImportInputError names file and field), or nothing to use as defaultPolicy.
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  // The file must load as it is written (placeholders aside): a failure here is an importer bug.
  const env = envPrefix(tenant);
  const check = parseConfig(yaml, { [`${env}_WEBHOOK_TOKEN`]: 'placeholder', [`${env}_API_TOKEN`]: 'placeholder' });
  if (!check.ok) {
    process.stderr.write(`the generated file does not validate (please report this):\n${check.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`);
    return 1;
  }
  const out = flag(args, '--out');
  if (out) writeFileSync(out, yaml);
  else process.stdout.write(yaml);
  process.stderr.write(report.format());
  return report.unmappedCount > 0 ? EXIT_UNMAPPED : 0;
}
