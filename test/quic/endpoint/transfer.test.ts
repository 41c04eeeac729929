/**
 * Server and client endpoints over real UDP on loopback, with the HTTP/0.9 applications:
 * downloads checked by SHA-256, many requests beyond MAX_STREAMS, Retry, IPv6, refusals,
 * and the noble crypto provider.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { QuicClient } from '../../../src/quic/endpoint/client.js';
import { getProvider } from '../../../src/quic/crypto/index.js';
import type { ConnectionTerminated } from '../../../src/quic/events.js';
import { generateSelfSigned } from '../../../src/quic/tls/certgen.js';
import { hqFetch } from '../../../src/quic/hq/client.js';
import { HqError } from '../../../src/quic/hq/constants.js';
import { DigestSink } from '../../../src/quic/hq/sinks.js';
import { connectClient, sha256, sleep, startHqServer, syntheticDigest, tempDir } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
function track<T extends { close(): Promise<void> }>(x: T): T {
  open.push(x);
  return x;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function fetchOne(client: QuicClient, path: string): Promise<{ ok: boolean; digest?: string; bytes: number; resetCode?: number; body: Buffer }> {
  const sink = new DigestSink({ keep: true });
  const [r] = await hqFetch(client.session, [{ path, sink }]);
  return { ok: r!.ok, bytes: r!.bytes, body: sink.body, ...(sink.digest ? { digest: sink.digest } : {}), ...(r!.resetCode !== undefined ? { resetCode: r!.resetCode } : {}) };
}

describe('QUIC endpoints over UDP (127.0.0.1)', () => {
  it('downloads 1 MB and 10 MB synthetic objects and a 1 MB file, byte-exact', async () => {
    const www = tempDir('www');
    const file = randomBytes(1 << 20);
    writeFileSync(join(www, 'one.bin'), file);
    const s = await startHqServer({ hq: { webroot: www } });
    track(s.server);
    const client = track(await connectClient(s.port));
    expect(client.session.handshakeCompleted?.alpn).toBe('hq-interop');

    const sinks = [new DigestSink(), new DigestSink(), new DigestSink()];
    const results = await hqFetch(client.session, [
      { path: '/_bytes/1000000', sink: sinks[0]! },
      { path: '/_bytes/10000000', sink: sinks[1]! },
      { path: '/one.bin', sink: sinks[2]! },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(sinks[0]!.bytes).toBe(1_000_000);
    expect(sinks[0]!.digest).toBe(syntheticDigest(1_000_000));
    expect(sinks[1]!.bytes).toBe(10_000_000);
    expect(sinks[1]!.digest).toBe(syntheticDigest(10_000_000));
    expect(sinks[2]!.digest).toBe(sha256(file));
    expect(s.hq.stats.completed).toBe(3);
    expect(s.server.stats.handlerErrors).toBe(0);
    expect(s.server.stats.appErrors).toBe(0);

    // Every connection ID the server issued routes to the connection, plus the client's original DCID.
    const serverSession = s.server.connections[0]!;
    expect(s.server.routeCount).toBe(serverSession.quic.activeHostCids.length + 1);

    // A clean close reaches the server as NO_ERROR from the peer; after draining, nothing is left.
    await client.close();
    const ended = await serverSession.closed;
    expect(ended).toMatchObject({ byPeer: true, errorCode: 0, cause: 'closed' });
    for (let i = 0; i < 100 && s.server.connectionCount > 0; i++) await sleep(20);
    expect(s.server.connectionCount).toBe(0);
    expect(s.server.routeCount).toBe(0);
  });

  it('generates a 10 GiB object only as fast as it drains, and stops when the client does', async () => {
    const s = await startHqServer();
    track(s.server);
    const client = track(await connectClient(s.port));
    const stream = client.session.openStream();
    let received = 0;
    const stopped = new Promise<void>((resolve) => {
      stream.onData((data) => {
        received += data.length;
        if (received >= 3_000_000 && stream.stopSendingReceived === undefined) {
          stream.stopSending(HqError.REQUEST_CANCELLED);
          resolve();
        }
      });
    });
    stream.write(new TextEncoder().encode(`GET /_bytes/${10 * 2 ** 30}\r\n`), true);
    await stopped;
    for (let i = 0; i < 100 && s.hq.stats.aborted === 0; i++) await sleep(20);
    expect(s.hq.stats.aborted).toBe(1);
    // Never more than the high watermark (4 MiB) ahead of what the client took.
    expect(s.hq.stats.bodyBytes).toBeLessThan(received + (4 << 20) + 65_536 + 2_000_000);
  });

  it('runs 200 requests on one connection beyond a MAX_STREAMS of 50', async () => {
    const www = tempDir('www');
    for (let i = 0; i < 200; i++) writeFileSync(join(www, `f${i}.txt`), `file number ${i}\n`.repeat(i % 7 + 1));
    const s = await startHqServer({ hq: { webroot: www }, config: { initialMaxStreamsBidi: 50 } });
    track(s.server);
    const client = track(await connectClient(s.port));
    expect(client.session.quic.peerParams?.initialMaxStreamsBidi).toBe(50);
    const sinks = Array.from({ length: 200 }, () => new DigestSink({ keep: true }));
    const results = await hqFetch(client.session, sinks.map((sink, i) => ({ path: `/f${i}.txt`, sink })));
    expect(results.every((r) => r.ok)).toBe(true);
    for (let i = 0; i < 200; i++) expect(sinks[i]!.body.toString()).toBe(`file number ${i}\n`.repeat(i % 7 + 1));
    expect(s.hq.stats.completed).toBe(200);

    // With a concurrency limit of 7, the same connection serves 30 more.
    let inFlight = 0;
    let most = 0;
    const more = await hqFetch(client.session, Array.from({ length: 30 }, (_, i) => ({ path: `/f${i}.txt` })), {
      concurrency: 7,
      onBytes: () => {
        inFlight = client.session.quic.streams.openCount;
        most = Math.max(most, inFlight);
      },
    });
    expect(more.every((r) => r.ok)).toBe(true);
    expect(most).toBeLessThanOrEqual(7);
  });

  it('validates the client with a Retry and still connects', async () => {
    const s = await startHqServer({ retry: true });
    track(s.server);
    const client = track(await connectClient(s.port));
    // The server's transport parameters carry the Retry's SCID only after a Retry (RFC 9000 §7.3).
    expect(client.session.quic.peerParams?.retrySourceConnectionId).toBeDefined();
    expect(s.server.stats.retriesSent).toBe(1);
    const r = await fetchOne(client, '/_bytes/100000');
    expect(r.ok).toBe(true);
    expect(r.digest).toBe(syntheticDigest(100_000));
    expect(s.server.stats.connectionsAccepted).toBe(1);
  });

  it('serves over IPv6 (::1)', async () => {
    const s = await startHqServer({ host: '::1' });
    track(s.server);
    expect(s.server.address.address).toBe('::1');
    const client = track(await connectClient(s.port, { host: '::1' }));
    expect(client.remote.address).toBe('::1');
    const r = await fetchOne(client, '/_bytes/1000000');
    expect(r.digest).toBe(syntheticDigest(1_000_000));
  });

  it('resets the stream for a missing file and for path traversal, and keeps serving', async () => {
    const base = tempDir('base');
    const www = join(base, 'www');
    mkdirSync(www);
    writeFileSync(join(base, 'secret.txt'), 'not for you');
    writeFileSync(join(www, 'ok.txt'), 'fine');
    symlinkSync(join(base, 'secret.txt'), join(www, 'link.txt'));
    const s = await startHqServer({ hq: { webroot: www } });
    track(s.server);
    const client = track(await connectClient(s.port));
    const results = await hqFetch(client.session, [
      { path: '/missing.txt' },
      { path: '/../secret.txt' },
      { path: '/%2e%2e/secret.txt' },
      { path: '/sub/..%2f..%2fsecret.txt' },
      { path: '/link.txt' },
      { path: '/ok.txt' },
    ]);
    expect(results.map((r) => r.resetCode)).toEqual([HqError.NOT_FOUND, HqError.FORBIDDEN, HqError.FORBIDDEN, HqError.FORBIDDEN, HqError.FORBIDDEN, undefined]);
    expect(results[0]!.error).toMatch(/NOT_FOUND/);
    expect(results.slice(0, 5).every((r) => !r.ok && r.bytes === 0)).toBe(true);
    expect(results[5]).toMatchObject({ ok: true, bytes: 4 });
    expect(s.hq.stats.refused).toBe(5);
  });

  it('works with the noble crypto provider on both sides', async () => {
    const s = await startHqServer({ config: { crypto: 'noble' } });
    track(s.server);
    const client = track(await connectClient(s.port, { config: { crypto: 'noble' } }));
    expect(client.session.quic.provider.name).toBe('noble');
    const r = await fetchOne(client, '/_bytes/1000000');
    expect(r.digest).toBe(syntheticDigest(1_000_000));
  });

  it('tells the server when the client refuses its certificate', async () => {
    const s = await startHqServer();
    track(s.server);
    const seen = new Promise<ConnectionTerminated>((resolve) => {
      const poll = setInterval(() => {
        const c = s.server.connections[0];
        if (c) {
          clearInterval(poll);
          void c.closed.then(resolve);
        }
      }, 1);
      poll.unref();
    });
    const stranger = generateSelfSigned(getProvider('node'), { commonName: 'localhost' });
    await expect(connectClient(s.port, { config: { trustAnchors: [stranger.cert] } })).rejects.toThrow(/unknown_ca/);
    // The client's CONNECTION_CLOSE left before its socket closed.
    expect(await seen).toMatchObject({ byPeer: true, errorCode: 0x100 + 48 });
  });

  it('reports a refused version: the client ends with version negotiation', async () => {
    const s = await startHqServer();
    track(s.server);
    await expect(connectClient(s.port, { config: { versions: [0x1a2a3a4a] } })).rejects.toThrow(/version negotiation/);
    expect(s.server.stats.versionNegotiationsSent).toBe(1);
    expect(s.server.stats.connectionsAccepted).toBe(0);
  });
});
