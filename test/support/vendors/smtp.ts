import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** A real SMTP server (smtp-server) on 127.0.0.1 that keeps every message's raw RFC 5322 text. */

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

export interface FakeSmtp {
  port: number;
  mails: ReceivedMail[];
  /** Next MAIL/DATA answers with this SMTP error (code + message), once. */
  failNext(code: number, message: string): void;
  close(): Promise<void>;
}

export async function startSmtp(opts: { user?: string; password?: string } = {}): Promise<FakeSmtp> {
  const mails: ReceivedMail[] = [];
  let failure: { code: number; message: string } | undefined;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS certificate to trust in tests.
    disabledCommands: opts.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !opts.user,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, cb) {
      if (failure) {
        const err = Object.assign(new Error(failure.message), { responseCode: failure.code });
        failure = undefined;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    failNext(code, message) {
      failure = { code, message };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Header value from a raw message (unfolded). */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m?.[1].trim();
}
