import { createRedactor, redactorFor } from '../../../src/audit/redact';
import { privacySchema } from '../../../src/config/privacy';
import { canonicalJson } from '../../../src/audit/canonical';

describe('redaction rules', () => {
  test('email: addresses become [email], the rest of the text stays', () => {
    const r = createRedactor(['email']);
    expect(r.text('paged Alice.Smith+oncall@mail.example.co.uk and bob@example.com')).toBe('paged [email] and [email]');
    expect(r.text('user@localhost or @handle or a@b')).toBe('user@localhost or @handle or a@b');
  });

  test('ip: IPv4 and IPv6 addresses become [ip]; versions, times and durations do not', () => {
    const r = createRedactor(['ip']);
    expect(r.text('instance 10.0.12.7:9100 and 2001:db8::8a2e:370:7334 and fe80::1 and ::1')).toBe('instance [ip]:9100 and [ip] and [ip] and [ip]');
    expect(r.text('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toBe('[ip]');
    expect(r.text('v1.2.3 at 12:30:45 for 1h30m, 999.1.1.1, 2024-01-01T10:00:00Z')).toBe('v1.2.3 at 12:30:45 for 1h30m, 999.1.1.1, 2024-01-01T10:00:00Z');
  });

  test('phone: international and North American numbers become [phone]; ids and dates do not', () => {
    const r = createRedactor(['phone']);
    expect(r.text('call +49 30 1234 5678 or +1-555-123-4567 or (555) 123-4567 or 555.123.4567')).toBe('call [phone] or [phone] or [phone] or [phone]');
    expect(r.text('incident 1234567890, 2024-01-01 10:00, took 12345 ms, port 5432')).toBe('incident 1234567890, 2024-01-01 10:00, took 12345 ms, port 5432');
  });

  test('bearer: the token after "Bearer" and bare JWTs become [bearer]', () => {
    const r = createRedactor(['bearer']);
    expect(r.text('Authorization: Bearer abc.DEF-123_x/y+z== failed')).toBe('Authorization: Bearer [bearer] failed');
    expect(r.text('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl here')).toBe('token [bearer] here');
    expect(r.text('the bearer of bad news')).toBe('the bearer of bad news');
  });

  test('custom: a regex becomes [name]', () => {
    const r = createRedactor([{ regex: 'EMP-\\d{5}', name: 'employee-id' }]);
    expect(r.text('assigned to EMP-12345 and EMP-54321, not EMP-1')).toBe('assigned to [employee-id] and [employee-id], not EMP-1');
  });

  test('rules apply to every string value of a tree, not to keys, and leave an untouched tree as it was', () => {
    const r = createRedactor(['email', 'ip']);
    const tree = { receiver: 'ops', 'a@b.io': 1, nested: [{ note: 'ask carol@example.org' }, 10.5], host: '192.168.1.1' };
    expect(r.tree(tree)).toEqual({ receiver: 'ops', 'a@b.io': 1, nested: [{ note: 'ask [email]' }, 10.5], host: '[ip]' });
    const clean = { receiver: 'ops', n: [1, 'x'] };
    expect(r.tree(clean)).toBe(clean);
  });

  test('a tenant without rules writes everything as given', () => {
    const v = { note: 'bob@example.com' };
    expect(redactorFor(undefined).tree(v)).toBe(v);
    expect(redactorFor({ redact: [] }).tree(v)).toBe(v);
  });
});

describe('privacy config', () => {
  test('accepts the built-in rules and custom ones', () => {
    const r = privacySchema.parse({ redact: ['email', 'ip', 'phone', 'bearer', { regex: 'ACME-\\d+', name: 'customer' }] });
    expect(r.redact).toHaveLength(5);
  });

  test.each([
    [{ redact: ['emails'] }, 'redact.0', 'a rule is one of email, ip, phone, bearer or { regex, name }'],
    [{ redact: [{ regex: '(unclosed', name: 'x' }] }, 'redact.0.regex', 'not a valid regular expression'],
    [{ redact: [{ regex: 'a*', name: 'x' }] }, 'redact.0.regex', 'the regex matches the empty string'],
    [{ redact: [{ regex: 'a+', name: 'Bad Name' }] }, 'redact.0.name', 'use lower-case letters'],
  ])('%j is refused at %s', (input, path, message) => {
    const r = privacySchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toContain(message);
  });
});

describe('canonical JSON', () => {
  test('sorts keys at every level and drops undefined, so jsonb key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined, x: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":"é","z":1}]},"b":1}');
    expect(canonicalJson({ at: new Date('2024-01-01T00:00:00Z') })).toBe('{"at":"2024-01-01T00:00:00.000Z"}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('not a JSON number');
  });
});
