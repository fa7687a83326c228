import { searchKeyword } from '../../src/ingest/ingest';

describe('search attribute values (stored unencrypted)', () => {
  test('identifier-like label values are kept for Web UI filters', () => {
    for (const v of ['HighLatency', 'payments-db', 'kube_pod_crash_looping', 'team.api:v2', 'eu-west/1']) expect(searchKeyword(v)).toBe(v);
  });

  test('free text, addresses and long values are left out', () => {
    for (const v of ['Disk full on db-7', 'alice@example.com', '+49 151 234567', 'x'.repeat(101), '', undefined]) expect(searchKeyword(v)).toBe('');
  });
});
