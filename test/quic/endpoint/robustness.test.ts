/**
 * What a server must survive or answer without a connection: junk floods, packets of unknown
 * connections (stateless reset), unsupported versions (Version Negotiation) and bad Retry tokens.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfiguration } from '../../../src/quic/config.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { PeerAddress } from '../../../src/quic/connection/types.js';
import { getProvider } from '../../../src/quic/crypto/index.js';
import { retryIntegrityTag } from '../../../src/quic/crypto/retry.js';
import type { QuicEvent } from '../../../src/quic/events.js';
import { RetryTokens } from '../../../src/quic/endpoint/retry-token.js';
import { StatelessResetter } from '../../../src/quic/endpoint/stateless-reset.js';
import { hqFetch } from '../../../src/quic/hq/client.js';
import { DigestSink } from '../../../src/quic/hq/sinks.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { parseVersionNegotiation } from '../../../src/quic/wire/version-negotiation.js';
import { appendRetryIntegrityTag, buildRetryWithoutTag } from '../../../src/quic/wire/retry.js';
import { connectClient, sleep, startHqServer, syntheticDigest, testIdentity, within } from './helpers.js';

const provider = getProvider('node');
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A raw UDP socket on 127.0.0.1 that records what it receives. */
async function rawSocket(): Promise<{ socket: dgram.Socket; received: Uint8Array[]; send(d: Uint8Array, port: number): void; next(ms: number): Promise<Uint8Array | undefined> }> {
  const socket = dgram.createSocket('udp4');
  const received: Uint8Array[] = [];
  const waiters: ((d: Uint8Array) => void)[] = [];
  socket.on('message', (m) => {
    const d = new Uint8Array(m);
    const w = waiters.shift();
    if (w) w(d);
    else received.push(d);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  closers.push(() => socket.close());
  return {
    socket,
    received,
    send: (d, port) => socket.send(d, port, '127.0.0.1'),
    next: (ms) => {
      const queued = received.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          resolve(undefined);
        }, ms);
        const w = (d: Uint8Array): void => {
          clearTimeout(t);
          resolve(d);
        };
        waiters.push(w);
      });
    },
  };
}

/** A sans-IO client connection and its first datagram (a padded Initial). */
function clientInitial(): { cnx: QuicConnection; initial: Uint8Array } {
  const config = defaultConfiguration({ isClient: true, serverName: 'localhost', trustAnchors: [testIdentity().cert] });
  const cnx = new QuicConnection(config, { now: 1_000_000, peerAddress: { address: '127.0.0.1', port: 1 } });
  cnx.connect(1_000_000);
  const [first] = cnx.datagramsToSend(1_000_000);
  return { cnx, initial: first!.data };
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

describe('server robustness', () => {
  it('keeps serving through 10,000 junk datagrams sent during a transfer', { timeout: 30_000 }, async () => {
    const s = await startHqServer();
    closers.push(() => s.server.close());
    const client = await connectClient(s.port);
    closers.push(() => client.close());
    const flood = await rawSocket();
    const { initial } = clientInitial();

    const junk = (i: number): Uint8Array => {
      switch (i % 4) {
        case 0: // random bytes of any length
          return provider.randomBytes(1 + randomInt(1500));
        case 1: // a truncated Initial
          return initial.slice(0, 1 + randomInt(initial.length - 1));
        case 2: { // a short header with a random DCID
          const d = provider.randomBytes(22 + randomInt(1300));
          d[0] = 0x40 | (d[0]! & 0x3f);
          return d;
        }
        default: { // a full-size Initial for an unknown connection, with garbage inside
          const d = initial.slice();
          d.set(provider.randomBytes(8), 6); // a new DCID
          d.set(provider.randomBytes(d.length - 60), 60);
          return d;
        }
      }
    };

    const sink = new DigestSink();
    const transfer = hqFetch(client.session, [{ path: '/_bytes/10000000', sink }]);
    // Paced in bursts, so that the kernel's socket buffer, not the test, decides what gets through.
    let sent = 0;
    const t0 = performance.now();
    while (sent < 10_000) {
      for (let k = 0; k < 100; k++) flood.send(junk(sent++), s.port);
      await sleep(1);
    }
    const floodMs = performance.now() - t0;
    const [r] = await within(transfer, 20_000, 'transfer under flood');
    expect(floodMs).toBeLessThan(r!.durationMs + 1000); // the flood overlapped the transfer
    expect(r!.ok).toBe(true);
    expect(sink.digest).toBe(syntheticDigest(10_000_000));

    await sleep(100);
    const st = s.server.stats;
    // The kernel drops part of a flood when its socket buffer fills; thousands still reach us.
    expect(st.datagramsReceived).toBeGreaterThanOrEqual(3_000);
    expect(st.datagramsDropped + st.initialsRejected + st.statelessResetsSent).toBeGreaterThanOrEqual(st.datagramsReceived - 2_000);
    expect(st.handlerErrors).toBe(0);
    expect(st.appErrors).toBe(0);
    expect(st.initialsRejected).toBeGreaterThan(500);
    expect(st.connectionsAccepted).toBe(1);
    expect(s.server.connectionCount).toBe(1);
    // Resets are rate limited (burst of 100, then 100/s).
    expect(st.statelessResetsSent).toBeGreaterThan(0);
    expect(st.statelessResetsSent).toBeLessThan(700);

    // The same connection and a new one still work.
    const again = new DigestSink();
    expect((await hqFetch(client.session, [{ path: '/_bytes/50000', sink: again }]))[0]!.ok).toBe(true);
    const other = await connectClient(s.port);
    closers.push(() => other.close());
    expect((await hqFetch(other.session, [{ path: '/_bytes/1000' }]))[0]!.ok).toBe(true);
  });

  it('sends a stateless reset for a connection it forgot, and the client ends with stateless_reset', async () => {
    const key = provider.randomBytes(32);
    const a = await startHqServer({ statelessResetKey: key });
    closers.push(() => a.server.close());
    const client = await connectClient(a.port);
    closers.push(() => client.close());
    expect((await hqFetch(client.session, [{ path: '/_bytes/10000' }]))[0]!.ok).toBe(true);

    // The server crashes, and a new one with the same reset key takes its port.
    a.server.destroy();
    const b = await startHqServer({ statelessResetKey: key, port: a.port });
    closers.push(() => b.server.close());

    const results = hqFetch(client.session, [{ path: '/_bytes/10000' }]);
    const ended = await within(client.session.closed, 5_000, 'stateless reset');
    expect(ended.cause).toBe('stateless_reset');
    const [r] = await results;
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatch(/stateless reset/);
    expect(b.server.stats.statelessResetsSent).toBeGreaterThanOrEqual(1);
  });

  it('answers unsupported versions with Version Negotiation, but never tiny datagrams or VN itself', async () => {
    const s = await startHqServer();
    closers.push(() => s.server.close());
    const raw = await rawSocket();
    const longHeader = (version: number, size: number): Uint8Array => {
      const d = provider.randomBytes(size);
      d[0] = 0xc0 | (d[0]! & 0x3f);
      new DataView(d.buffer).setUint32(1, version);
      d[5] = 8;
      d.set(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 6);
      d[14] = 4;
      d.set(Uint8Array.of(9, 9, 9, 9), 15);
      return d;
    };
    raw.send(longHeader(0x1a2a3a4a, 1200), s.port);
    const vn = await raw.next(2000);
    expect(vn).toBeDefined();
    const parsed = parseVersionNegotiation(vn!);
    expect([...parsed.dcid]).toEqual([9, 9, 9, 9]);
    expect([...parsed.scid]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parsed.supportedVersions).toContain(1);
    expect(parsed.supportedVersions.some((v) => (v & 0x0f0f0f0f) === 0x0a0a0a0a)).toBe(true); // a greased version

    raw.send(longHeader(0x1a2a3a4a, 100), s.port); // too small for a client's first flight
    raw.send(longHeader(0, 1200), s.port); // a Version Negotiation packet
    raw.send(longHeader(1, 1199), s.port); // an Initial below 1200 bytes
    const small = provider.randomBytes(20);
    small[0] = 0x40;
    raw.send(small, s.port); // a short header too small to be answered by a smaller reset
    expect(await raw.next(300)).toBeUndefined();
    expect(s.server.stats.versionNegotiationsSent).toBe(1);
    expect(s.server.connectionCount).toBe(0);
  });

  it('sends stateless resets smaller than their trigger, with the HMAC token of the DCID', async () => {
    const key = provider.randomBytes(32);
    const s = await startHqServer({ statelessResetKey: key });
    closers.push(() => s.server.close());
    const raw = await rawSocket();
    const trigger = provider.randomBytes(100);
    trigger[0] = 0x40 | (trigger[0]! & 0x3f);
    raw.send(trigger, s.port);
    const reset = await raw.next(2000);
    expect(reset).toBeDefined();
    expect(reset!.length).toBeLessThan(100);
    expect(reset!.length).toBeGreaterThanOrEqual(21);
    expect(reset![0]! & 0xc0).toBe(0x40);
    const token = new StatelessResetter(provider, { key }).tokenFor(trigger.subarray(1, 9));
    expect([...reset!.subarray(reset!.length - 16)]).toEqual([...token]);
  });

  it('drops forged Retry tokens and closes with INVALID_TOKEN on expired ones', async () => {
    const tokenKey = provider.randomBytes(16);
    const s = await startHqServer({ retry: true, retryTokenKey: tokenKey });
    closers.push(() => s.server.close());
    const raw = await rawSocket();
    const server: PeerAddress = { address: '127.0.0.1', port: s.port };

    /** A client that believes it got a Retry with `token`; returns its next Initial. */
    const afterFakeRetry = (token: (odcid: Uint8Array, retryScid: Uint8Array) => Uint8Array): { cnx: QuicConnection; initial: Uint8Array } => {
      const { cnx } = clientInitial();
      const retryScid = provider.randomBytes(8);
      const body = buildRetryWithoutTag({ version: 1, dcid: cnx.hostCid, scid: retryScid, token: token(cnx.originalDcid, retryScid) });
      const retry = appendRetryIntegrityTag(body, retryIntegrityTag(provider, cnx.originalDcid, body));
      cnx.receiveDatagram(retry, server, 1_001_000);
      const [next] = cnx.datagramsToSend(1_001_000);
      return { cnx, initial: next!.data };
    };

    const forged = afterFakeRetry(() => provider.randomBytes(60));
    raw.send(forged.initial, s.port);
    expect(await raw.next(300)).toBeUndefined();
    expect(s.server.stats.invalidTokens).toBe(1);

    const sealer = new RetryTokens(provider, { key: tokenKey });
    const stale = afterFakeRetry((odcid, scid) => sealer.seal('127.0.0.1', odcid, scid, Date.now() - 60_000));
    raw.send(stale.initial, s.port);
    const answer = await raw.next(2000);
    expect(answer).toBeDefined();
    stale.cnx.receiveDatagram(answer!, server, 1_002_000);
    const events: QuicEvent[] = [];
    for (let e = stale.cnx.nextEvent(); e; e = stale.cnx.nextEvent()) events.push(e);
    expect(events).toContainEqual(expect.objectContaining({ type: 'connection_terminated', errorCode: TransportErrorCode.INVALID_TOKEN, byPeer: true }));
    expect(s.server.stats.invalidTokens).toBe(2);
    expect(s.server.connectionCount).toBe(0);
  });
});

describe('Retry tokens', () => {
  const odcid = provider.randomBytes(8);
  const scid = provider.randomBytes(8);

  it('open what they seal, for the same address and Retry SCID only', () => {
    const t = new RetryTokens(provider, { lifetimeMs: 5000 });
    const token = t.seal('192.0.2.1', odcid, scid, 1_000_000);
    expect(t.open(token, '192.0.2.1', scid, 1_001_000)).toEqual({ ok: true, odcid, retryScid: scid, ageMs: 1000 });
    expect(t.open(token, '192.0.2.2', scid, 1_001_000)).toEqual({ ok: false, reason: 'forged' });
    expect(t.open(token, '192.0.2.1', odcid, 1_001_000)).toEqual({ ok: false, reason: 'wrong_cid' });
    expect(t.open(token, '192.0.2.1', scid, 1_006_001)).toEqual({ ok: false, reason: 'expired' });
    const tampered = token.slice();
    tampered[20]! ^= 1;
    expect(t.open(tampered, '192.0.2.1', scid, 1_001_000)).toEqual({ ok: false, reason: 'forged' });
    expect(new RetryTokens(provider).open(token, '192.0.2.1', scid, 1_001_000)).toEqual({ ok: false, reason: 'forged' });
    expect(t.open(new Uint8Array(3), '192.0.2.1', scid)).toEqual({ ok: false, reason: 'forged' });
  });
});

describe('stateless reset builder', () => {
  it('derives tokens from the key, keeps resets smaller than triggers and rate-limits them', () => {
    const key = provider.randomBytes(32);
    const r = new StatelessResetter(provider, { key, ratePerSecond: 10 });
    const cid = provider.randomBytes(8);
    expect(r.tokenFor(cid)).toEqual(new StatelessResetter(provider, { key }).tokenFor(cid));
    expect(r.tokenFor(cid)).not.toEqual(new StatelessResetter(provider).tokenFor(cid));
    expect(r.build(43, cid, 0)!.length).toBe(42);
    expect(r.build(22, cid, 0)!.length).toBe(21);
    expect(r.build(21, cid, 0)).toBeUndefined();
    const big = r.build(1200, cid, 0)!;
    expect(big.length).toBeGreaterThanOrEqual(43);
    expect(big.length).toBeLessThan(60);
    let n = 3;
    while (r.build(100, cid, 0)) n++;
    expect(n).toBe(10); // the burst
    expect(r.build(100, cid, 50_000)).toBeUndefined(); // 0.5 token after 50 ms
    expect(r.build(100, cid, 100_000)).toBeDefined(); // one more after 100 ms
  });
});

describe('send buffers', () => {
  it('a send the socket refuses on the spot frees its buffer and counts a socket error', async () => {
    const { server } = await startHqServer();
    const buf = server.datagramBuffer(100);
    buf.fill(7, 0, 100);
    // Port 0 is not a destination: dgram throws synchronously, the callback never runs.
    server.sendDatagram(buf, 100, { address: '127.0.0.1', port: 0 });
    expect(server.stats.socketErrors).toBe(1);
    // The same buffer is free again for the next datagram.
    expect(server.datagramBuffer(100)).toBe(buf);
    await server.close();
  });
});
