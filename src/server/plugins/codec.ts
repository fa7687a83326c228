import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { unauthorized } from '../auth';
import { PayloadDecryptionError } from '../../crypto/codec';
import type { KlaxonEnv } from '../../config/env';

export interface CodecSettings {
  codec: PayloadCodec;
  /** Browser origins allowed to call the codec server (the Temporal Web UI's). */
  corsOrigins: string[];
  /** Path secret of the embedded Web UI, which cannot send a bearer (see embeddedUiCodec). */
  uiSecret?: string;
  /** Klaxon's namespace; a request naming another one in X-Namespace is refused. */
  namespace?: string;
}

/** Default: the embedded UI's port, as typed into a browser either way. */
export function codecCorsOrigins(env: Pick<KlaxonEnv, 'KLAXON_CODEC_CORS_ORIGINS' | 'TEMPORAL_UI_PORT'>): string[] {
  if (env.KLAXON_CODEC_CORS_ORIGINS?.trim()) return env.KLAXON_CODEC_CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  const port = env.TEMPORAL_UI_PORT || 8233;
  return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
}

/**
 * The embedded dev server's Web UI has no login, so it cannot send a bearer; it gets a codec
 * endpoint with a random per-start secret in its path instead. Whoever can open that UI (bound to
 * 127.0.0.1) can read decoded payloads there anyway; the secret keeps everyone else off the endpoint.
 */
export function embeddedUiCodec(host: string, port: number): { secret: string; endpoint: string } {
  const secret = randomBytes(24).toString('base64url');
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return { secret, endpoint: `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/codec/ui/${secret}` };
}

// Proto3 JSON, as the Web UI and `temporal --codec-endpoint` send it: bytes fields are base64
// (standard or URL-safe). https://docs.temporal.io/production-deployment/data-encryption#codec-server-setup
// and https://docs.temporal.io/codec-server describe the protocol: POST {endpoint}/encode and
// /decode, body and answer `{"payloads":[{"metadata":{"encoding":"<b64>"},"data":"<b64>"}]}`,
// header X-Namespace.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadJson = z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() });
const body = z.object({ payloads: z.array(payloadJson).max(10_000) });
type PayloadJson = z.infer<typeof payloadJson>;

const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

const sameSecret = (given: string, want: string) => timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(want).digest());

/**
 * Who may use the codec server: a bearer token with `read` (any tenant's: the codec holds one
 * keyring for the namespace, so decoding is not scoped to a tenant; reaching the payloads at all
 * takes access to Temporal), checked by the API guard (`config.permission`), or on the embedded
 * UI's path the per-start secret.
 */
function authorizeEmbeddedUi(settings: CodecSettings, request: FastifyRequest, reply: FastifyReply) {
  const secret = (request.params as { secret?: string }).secret ?? '';
  if (settings.uiSecret && sameSecret(secret, settings.uiSecret)) return;
  return unauthorized(reply);
}

/** Adds the CORS headers the Web UI's cross-origin fetch needs; answers whether the origin may call. */
function allowOrigin(settings: CodecSettings, request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  if (!origin || !settings.corsOrigins.includes(origin)) return false;
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-allow-credentials', 'true');
  return true;
}

/**
 * The Temporal remote codec server: `POST /codec/encode` and `POST /codec/decode`, so the Temporal
 * Web UI and CLI show incidents' encrypted payloads in plaintext to a person allowed to read them.
 */
export const codecPlugin: FastifyPluginAsync<{ settings: CodecSettings }> = async (app, { settings }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', async (request, reply) => {
    allowOrigin(settings, request, reply);
  });

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!allowOrigin(settings, request, reply)) return reply.code(403).send({ error: 'forbidden', message: `origin ${request.headers.origin ?? '(none)'} is not in KLAXON_CODEC_CORS_ORIGINS` });
    return reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
      .header('access-control-max-age', '600')
      .send();
  };

  const handle = async (op: 'encode' | 'decode', input: z.infer<typeof body>, request: FastifyRequest, reply: FastifyReply) => {
    const ns = request.headers['x-namespace'];
    if (settings.namespace && typeof ns === 'string' && ns !== settings.namespace) {
      return reply.code(400).send({ error: 'wrong namespace', message: `X-Namespace: Klaxon's payloads are in namespace "${settings.namespace}", not "${ns}"` });
    }
    try {
      const payloads = await settings.codec[op](input.payloads.map(fromJson));
      return reply.send({ payloads: payloads.map(toJson) });
    } catch (err) {
      if (err instanceof PayloadDecryptionError) return reply.code(400).send({ error: 'cannot decode', message: err.message });
      throw err;
    }
  };

  // Large enough for an event's payloads (Temporal's own limit is 2 MiB each).
  // Temporal's codec protocol, not Klaxon's API: documented in the README, not in /docs.
  const common = { schema: { body, hide: true }, bodyLimit: 8 * 1024 * 1024 };
  const routes = [
    { prefix: '/codec', options: { ...common, config: { permission: 'read' as const } } },
    { prefix: '/codec/ui/:secret', options: { ...common, preHandler: async (req: FastifyRequest, reply: FastifyReply) => authorizeEmbeddedUi(settings, req, reply) } },
  ];
  for (const { prefix, options } of routes) {
    for (const op of ['encode', 'decode'] as const) {
      r.post(`${prefix}/${op}`, options, (request, reply) => handle(op, request.body, request, reply));
      r.options(`${prefix}/${op}`, { schema: { hide: true } }, preflight);
    }
  }
};
