import { PassThrough } from 'node:stream';
import { createLogger, logFormat, type LogFormat } from '../../src/logger';

function capture(format: LogFormat): { log: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { log: createLogger({ level: 'info', format, destination: out }), text: () => text };
}

describe('logs', () => {
  test('a terminal gets readable lines, a pipe JSON; LOG_FORMAT decides when set', () => {
    expect(logFormat({}, { isTTY: true })).toBe('pretty');
    expect(logFormat({}, { isTTY: false })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, {})).toBe('pretty');
  });

  test('the readable format is one line with the level, the message and the fields, credentials censored', () => {
    const { log, text } = capture('pretty');
    log.child({ component: 'http' }).warn({ receiver: 'slack-ops', headers: { authorization: 'Bearer s3cret' } }, 'delivery failed');
    const out = text();
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: delivery failed \{.*\}\n$/);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).toContain('"component":"http"');
    expect(out).toContain('"receiver":"slack-ops"');
    expect(out).not.toContain('s3cret');
    expect(out).not.toContain('{"level"');
  });

  test('the JSON format is one object per line, credentials censored', () => {
    const { log, text } = capture('json');
    log.info({ webhook: { token: 'hook-token-value' } }, 'accepted');
    const line = JSON.parse(text().trim());
    expect(line).toMatchObject({ level: 30, msg: 'accepted', name: 'klaxon', webhook: { token: '[redacted]' } });
  });
});
