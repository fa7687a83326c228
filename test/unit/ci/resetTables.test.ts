import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// .ci/run drops Klaxon's tables in the machine's `test` database before the suite, so that
// `klaxon audit verify` afterwards sees only this run's rows. A table a new migration adds must be
// in that list too, or an earlier run's rows in it would survive into the check.
describe('.ci/run resets every table the migrations create', () => {
  const root = join(__dirname, '../../..');
  const dir = join(root, 'src/store/migrations');
  const created = new Set<string>(['schema_migrations']);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/gi)) created.add(m[1]);
  }
  const run = readFileSync(join(root, '.ci/run'), 'utf8');
  const drop = /DROP TABLE IF EXISTS ([a-z_, ]+) CASCADE/.exec(run);

  it('has the DROP statement', () => expect(drop).not.toBeNull());
  it('names each created table', () => {
    const dropped = new Set(drop![1].split(',').map((t) => t.trim()));
    expect([...created].filter((t) => !dropped.has(t))).toEqual([]);
    expect(created.size).toBeGreaterThan(10);
  });
});
