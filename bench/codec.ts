/**
 * What payload encryption costs per incident (issue #10): every payload of a recorded incident
 * (test/fixtures/histories: inputs, signals, activity arguments and results of a whole run) is
 * encoded and decoded by the codec, per incident, with AES-256-GCM and ChaCha20-Poly1305, side by
 * side in one run; the plain (JSON only) cost of the same payloads is the baseline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../src/crypto/codec';
import { Keyring, newKey, type Cipher } from '../src/crypto/keyring';
import { readKeyFile } from '../src/crypto/keySource';
import { projectRoot } from '../src/paths';
import { ms, percentile } from './support/stats';

const HISTORY = 'incident-unacked-then-resolved-by-alertmanager.v9-encrypted.binpb';

/** Every payload message in a history (any field of type Payloads / Payload, found by shape). */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) payloadsOf(n, out);
    return out;
  }
  const o = node as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) out.push(o as Payload);
  for (const v of Object.values(o)) payloadsOf(v, out);
  return out;
}

export async function benchCodec(opts: { iterations?: number } = {}): Promise<string> {
  const iterations = opts.iterations ?? Number(process.env.BENCH_CODEC_ITERATIONS ?? 500);
  const dir = join(projectRoot, 'test/fixtures/histories');
  const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, HISTORY)));
  // The recorded payloads are encrypted under the fixture keyring: decrypt them once to get the plaintext set.
  const fixture = new EncryptionCodec(readKeyFile(join(projectRoot, 'test/fixtures/encryption.keys'), 'fixture keys'));
  const plain = await fixture.decode(payloadsOf(history));
  const bytes = plain.reduce((n, p) => n + (p.data?.length ?? 0), 0);
  const keyring = new Keyring([newKey()]);
  const run = async (cipher: Cipher | 'none') => {
    const codec = cipher === 'none' ? undefined : new EncryptionCodec(keyring, cipher);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      if (codec) await codec.decode(await codec.encode(plain));
      else for (const p of plain) temporal.api.common.v1.Payload.decode(temporal.api.common.v1.Payload.encode(p).finish());
      samples.push(performance.now() - t);
    }
    return samples;
  };
  // Warm up, then measure interleaved rounds so the ciphers share the machine's noise.
  await run('aes-256-gcm');
  const results: Record<string, number[]> = { none: [], 'aes-256-gcm': [], 'chacha20-poly1305': [] };
  for (let round = 0; round < 5; round++) for (const c of ['none', 'aes-256-gcm', 'chacha20-poly1305'] as const) results[c].push(...(await run(c)));
  const row = (label: string, xs: number[]) => `| ${label} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 99))} |`;
  return [
    '## Payload encryption',
    '',
    `Every payload of one recorded incident run (${HISTORY}: ${plain.length} payloads, ${(bytes / 1024).toFixed(1)} KiB), encoded and decoded once (what the worker and the client do between them), ${5 * iterations} times per cipher, interleaved.`,
    '',
    '| per incident (encode + decode of all its payloads) | p50 | p99 |',
    '| --- | ---: | ---: |',
    row('no codec (protobuf round trip only, the floor)', results.none),
    row('AES-256-GCM (default)', results['aes-256-gcm']),
    row('ChaCha20-Poly1305', results['chacha20-poly1305']),
  ].join('\n');
}

if (require.main === module) {
  benchCodec().then(
    (md) => console.log(md),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
