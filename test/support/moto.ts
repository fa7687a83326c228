import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src/paths';
import { freePort } from '../../src/temporal/devServer';
import { startDaemon } from './daemon';

/**
 * moto's server (PyPI `moto[server]`, installed by `npm run setup` into tools/moto_server): a local
 * AWS that speaks the real wire protocols (SigV4-signed Query API for SNS and SQS), so the SNS
 * notifier is tested through the official SDK against a server, not a mock of the SDK.
 */
export function motoServerPath(): string {
  const fromEnv = process.env.MOTO_SERVER_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const recorded = join(projectRoot, 'tools', 'paths.json');
  const p = existsSync(recorded) ? (JSON.parse(readFileSync(recorded, 'utf8')) as { motoServer?: string }).motoServer : undefined;
  if (p && existsSync(p)) return p;
  throw new Error('no moto_server found. Run `npm run setup` (installs the PyPI package moto[server] into tools/moto_server), or set MOTO_SERVER_PATH.');
}

/**
 * Starts moto on a free port. `env` configures it: INITIAL_NO_AUTH_ACTION_COUNT=0 makes it check
 * credentials against its own IAM (by default any credentials are accepted).
 */
export async function startMoto(env: Record<string, string> = {}) {
  const bin = motoServerPath();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // pip --target installs have no site-packages of their own: the script imports from its folder.
  const home = dirname(dirname(bin));
  const pythonPath = bin.startsWith(join(projectRoot, 'tools')) ? { PYTHONPATH: home } : {};
  const daemon = await startDaemon('moto_server', bin, ['-H', '127.0.0.1', '-p', String(port)], `${url}/moto-api/data.json`, 30_000, { ...process.env, ...pythonPath, ...env });
  return { url, stop: daemon.stop };
}

/** A Query API call (form POST) to moto, which routes on the service in the credential scope. */
export async function awsQuery(url: string, service: 'sqs' | 'sns' | 'iam', params: Record<string, string>): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${params.Action} answered ${res.status}: ${text}`);
  return text;
}

/** Every `<tag>…</tag>` value in an XML answer (moto's answers are flat enough for this). */
export function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => unescapeXml(m[1]));
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&amp;/g, '&');
}
