import { readFileSync } from 'node:fs';
import { connect, constants, createSecureServer, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';

export interface SeenRequest {
  path: string;
  authorization?: string;
  userAgent?: string;
  /** The verified client certificate's common name. */
  clientCn?: string;
}

// Hop-by-hop headers HTTP/2 forbids forwarding.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);
const forwardable = (h: IncomingHttpHeaders): OutgoingHttpHeaders => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k) && k !== ':status'));

/**
 * A TLS front for a plaintext Temporal dev server, as a production Temporal (or Temporal Cloud)
 * looks to Klaxon: terminates TLS (node:tls under node:http2), requires a client certificate signed
 * by `ca` (mTLS) and forwards each gRPC call to the dev server over h2c. It records what every call
 * carried (path, authorization metadata, the client certificate's CN), so a test can see the API key
 * and the certificate on the wire, from the client (grpc-js) and from the worker (Rust core) alike.
 */
export async function startTlsGrpcProxy(opts: { upstream: string; cert: string; key: string; ca: string; requireClientCert?: boolean }) {
  const seen: SeenRequest[] = [];
  const handshakeErrors: string[] = [];
  const sessions = new Set<ServerHttp2Session | ClientHttp2Session>();
  const server = createSecureServer({
    cert: readFileSync(opts.cert),
    key: readFileSync(opts.key),
    ca: readFileSync(opts.ca),
    requestCert: true,
    rejectUnauthorized: opts.requireClientCert ?? true,
    allowHTTP1: false,
  });
  server.on('tlsClientError', (err) => handshakeErrors.push(err.message));
  server.on('session', (session) => {
    sessions.add(session);
    const upstream = connect(`http://${opts.upstream}`);
    sessions.add(upstream);
    upstream.on('error', () => session.destroy());
    session.on('error', () => upstream.destroy());
    session.on('close', () => {
      upstream.close();
      sessions.delete(session);
      sessions.delete(upstream);
    });
    const peer = (session.socket as TLSSocket).getPeerCertificate?.();
    session.on('stream', (stream, headers) => {
      seen.push({ path: String(headers[':path']), authorization: headers.authorization as string | undefined, userAgent: headers['user-agent'] as string | undefined, clientCn: peer?.subject?.CN as string | undefined });
      const req = upstream.request(forwardable(headers));
      let trailers: OutgoingHttpHeaders = {};
      const fail = () => {
        if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        if (!req.destroyed) req.close(constants.NGHTTP2_CANCEL);
      };
      req.on('error', fail);
      stream.on('error', fail);
      stream.on('close', () => req.destroyed || req.close(constants.NGHTTP2_CANCEL));
      req.on('trailers', (t) => (trailers = forwardable(t)));
      req.on('response', (h) => {
        if (stream.destroyed) return;
        // A trailers-only answer (a gRPC error): headers with END_STREAM, as the server sent it.
        if (h['grpc-status'] !== undefined) return stream.respond({ ':status': h[':status'], ...forwardable(h) }, { endStream: true });
        stream.respond({ ':status': h[':status'], ...forwardable(h) }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers(trailers));
        req.pipe(stream);
      });
      stream.pipe(req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    handshakeErrors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
