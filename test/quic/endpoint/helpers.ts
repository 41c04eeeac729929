/** Shared set-up for the endpoint tests: one certificate, an hq server, a client, digests. */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QuicConfiguration } from '../../../src/quic/config.js';
import { getProvider } from '../../../src/quic/crypto/index.js';
import { QuicClient, type ClientOptions } from '../../../src/quic/endpoint/client.js';
import { QuicServer, type ServerOptions } from '../../../src/quic/endpoint/server.js';
import { HqServer, type HqServerOptions } from '../../../src/quic/hq/server.js';
import { forEachSyntheticChunk } from '../../../src/quic/hq/synthetic.js';
import { generateSelfSigned } from '../../../src/quic/tls/certgen.js';

/**
 * What the endpoints of these tests write over each received datagram once it is processed
 * (EndpointOptions.scribbleReceived): any received byte the core kept as a view instead of a copy
 * shows up as junk (a failed handshake, a wrong digest). Benchmarks pass `scribbleReceived: undefined`.
 */
export const RECEIVE_JUNK = 0xa5;

let identity: ReturnType<typeof generateSelfSigned> | undefined;

/** ECDSA P-256, valid for localhost, 127.0.0.1 and ::1. */
export function testIdentity(): ReturnType<typeof generateSelfSigned> {
  identity ??= generateSelfSigned(getProvider('node'), {
    kind: 'ecdsa-p256', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'],
  });
  return identity;
}

export interface HqTestServer {
  server: QuicServer;
  hq: HqServer;
  port: number;
}

export async function startHqServer(
  opts: { host?: string; port?: number; config?: Partial<QuicConfiguration>; hq?: HqServerOptions } & Omit<Partial<ServerOptions>, 'config'> = {},
): Promise<HqTestServer> {
  const id = testIdentity();
  const hq = new HqServer(opts.hq ?? {});
  const { config, hq: _hq, ...rest } = opts;
  void _hq;
  const server = await QuicServer.listen({
    host: '127.0.0.1', port: 0, scribbleReceived: RECEIVE_JUNK, ...rest,
    config: { certificateChain: [id.certDer], privateKey: id.privateKey, ...config },
  }, hq.handleConnection);
  return { server, hq, port: server.address.port };
}

export function connectClient(port: number, opts: Partial<ClientOptions> = {}): Promise<QuicClient> {
  const { config, ...rest } = opts;
  return QuicClient.connect({
    host: '127.0.0.1', port, serverName: 'localhost', scribbleReceived: RECEIVE_JUNK, ...rest,
    config: { trustAnchors: [testIdentity().cert], ...config },
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The digest of the synthetic object /_bytes/N. */
export function syntheticDigest(size: number): string {
  const h = createHash('sha256');
  forEachSyntheticChunk(size, (c) => h.update(c));
  return h.digest('hex');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pquic-${prefix}-`));
}

/** Resolves after `ms`; the timer does not keep the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Rejects if `p` takes longer than `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}
