import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importCommand } from '../../../src/cli/commands/import';
import { validate } from '../../../src/cli/commands/validate';

const root = join(__dirname, '../../..');
const FIXTURES = join(root, 'test/fixtures/import');

describe('klaxon import', () => {
  let dir: string;
  let out: string;
  let err: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'klaxon-import-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes a tenants file `klaxon validate` accepts, and exits 0 when everything mapped', async () => {
    const file = join(dir, 'tenants.yaml');
    expect(await importCommand(['opsgenie', join(FIXTURES, 'opsgenie'), '--tenant', 'acme', '--out', file])).toBe(0);
    expect(out).toBe('');
    expect(err).toContain('note(s) (paging unaffected)');
    expect(readFileSync(file, 'utf8')).toContain('token: ${ACME_WEBHOOK_TOKEN}');
    process.env.ACME_WEBHOOK_TOKEN = 'w';
    process.env.ACME_API_TOKEN = 'a';
    try {
      out = '';
      expect(await validate([file])).toBe(0);
      expect(out).toContain('acme: 0 receiver(s), 2 polic(ies)');
    } finally {
      delete process.env.ACME_WEBHOOK_TOKEN;
      delete process.env.ACME_API_TOKEN;
    }
  });

  it('exits 3 with the report on stderr when some items are not mapped; the YAML still goes to stdout', async () => {
    const exp = join(dir, 'oncall-unmapped');
    cpSync(join(FIXTURES, 'oncall'), exp, { recursive: true });
    const policies = JSON.parse(readFileSync(join(exp, 'escalation_policies.json'), 'utf8'));
    policies.results.push({ id: 'EX1', escalation_chain_id: 'FWDL7M6N6VVYG', position: 6, type: 'trigger_webhook', action_to_trigger: 'KWH1' });
    writeFileSync(join(exp, 'escalation_policies.json'), JSON.stringify(policies));
    expect(await importCommand(['oncall', exp])).toBe(3);
    expect(out).toMatch(/^tenants:\n {2}oncall:/m); // the tenant defaults to the vendor's name
    expect(err).toContain('1 item(s) not mapped exactly');
    expect(err).toContain('escalation_policies.json results[9]');
    expect(err).toContain('outgoing webhooks are receivers in Klaxon');
  });

  it('exits 1 naming the file and field of malformed input, 2 on bad usage', async () => {
    const exp = join(dir, 'opsgenie-bad');
    cpSync(join(FIXTURES, 'opsgenie'), exp, { recursive: true });
    writeFileSync(join(exp, 'escalations.json'), JSON.stringify({ data: [{ id: 'x', name: 'x', rules: [{ condition: 'sometimes', delay: { timeAmount: 0 }, recipient: { type: 'user' } }] }] }));
    expect(await importCommand(['opsgenie', exp])).toBe(1);
    expect(err).toMatch(/escalations\.json: not a valid export:\n {2}data\[0\]\.rules\[0\]\.condition: /);
    expect(out).toBe('');
    expect(await importCommand(['pagerduty', exp])).toBe(2);
    expect(await importCommand(['oncall', exp, '--tenant', 'Not A Name'])).toBe(2);
  });

  it('is a command of the klaxon CLI', async () => {
    const r = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'src/cli/main.ts'), 'import', 'oncall', join(FIXTURES, 'oncall'), '--tenant', 'acme'], { cwd: root }).catch((e) => e);
    expect(r.code ?? 0).toBe(0);
    expect(r.stdout).toContain('platform-primary:');
    expect(r.stderr).toContain('note(s)');
  }, 30_000);
});
