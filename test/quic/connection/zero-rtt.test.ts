/**
 * 0-RTT from our client (RFC 9001 §4.6, RFC 9000 §7.4.1, §12.3, §17.2.3), in memory: a first
 * connection fetches a ticket, a second one writes a request before the handshake and sends it
 * in 0-RTT packets; the server accepts it, refuses it, or makes a full handshake.
 */
import { describe, expect, it } from 'vitest';
import { MemorySessionCache } from '../../../src/quic/tls/session.js';
import { SessionTicketKey } from '../../../src/quic/tls/ticket.js';
import { NO_PARAM } from '../../../src/quic/protoop/names.js';
import { GROUP_SECP256R1 } from '../../../src/quic/crypto/provider.js';
import type { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { QuicConfiguration } from '../../../src/quic/config.js';
import { parsePacketHeader } from '../../../src/quic/wire/header.js';
import { Reader } from '../../../src/quic/wire/buffer.js';
import { parseFrame, readFrameType } from '../../../src/quic/wire/frames/index.js';
import { collectStream, handshake, lossyLink, makePair, roundtrip, runFor, runUntil, type Link, type Pair } from './harness.js';

const REQUEST = new TextEncoder().encode('GET /index.html\r\n');

/** The bytes a side received on a stream, as a plain Uint8Array. */
function bytes(events: Parameters<typeof collectStream>[0], stream: number): Uint8Array {
  return new Uint8Array(collectStream(events, stream).data);
}

/** A cache holding a ticket from `server` config (acceptEarlyData unless told otherwise). */
function ticketFrom(key: SessionTicketKey, server: Partial<QuicConfiguration> = { acceptEarlyData: true }): MemorySessionCache {
  const cache = new MemorySessionCache();
  const first = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key, ...server } });
  handshake(first);
  runFor(first, 50_000);
  expect(cache.get('localhost')).toBeDefined();
  return cache;
}

/** What the server read in 0-RTT: frame types per packet, STREAM bytes per stream. */
interface ZeroRttSeen extends Array<number[]> {
  streamBytes: Map<number, number>;
}

/** The server's received 0-RTT packets, through a received_packet observer. */
function watchZeroRtt(p: Pair): ZeroRttSeen {
  const packets = Object.assign([] as number[][], { streamBytes: new Map<number, number>() });
  p.onServerCreated = (server: QuicConnection) => {
    server.protoops.attach('received_packet', NO_PARAM, 'post', {
      owner: 'test',
      fn: (c) => {
        if (c.args[0] !== '0RTT') return;
        const payload = (c.args[3] as Uint8Array).slice(0, c.args[4] as number);
        const r = new Reader(payload);
        const types: number[] = [];
        while (r.remaining > 0) {
          const t = readFrameType(r);
          const f = parseFrame(r, t);
          types.push(t);
          if (f.type === 'stream') packets.streamBytes.set(f.streamId, (packets.streamBytes.get(f.streamId) ?? 0) + f.data.length);
        }
        packets.push(types);
      },
    });
  };
  return packets;
}

/** A second connection that opens a stream and writes REQUEST before any datagram is sent. */
function resumeWithRequest(
  cache: MemorySessionCache, key: SessionTicketKey, server: Partial<QuicConfiguration>, client: Partial<QuicConfiguration> = {},
): { p: Pair; stream: number; zeroRtt: ZeroRttSeen } {
  const p = makePair({ client: { sessionCache: cache, enableEarlyData: true, ...client }, server: { sessionTicketKey: key, ...server } });
  const zeroRtt = watchZeroRtt(p);
  expect(p.client.canCreateStream()).toBe(true);
  const stream = p.client.createStream();
  p.client.sendStreamData(stream, REQUEST, true);
  return { p, stream, zeroRtt };
}

function echoUntilDone(p: Pair, stream: number, link?: Link): void {
  let answered = false;
  const ok = runUntil(p, () => {
    if (!answered && collectStream(p.serverEvents, stream).fin) {
      p.server!.sendStreamData(stream, collectStream(p.serverEvents, stream).data, true);
      answered = true;
    }
    return collectStream(p.clientEvents, stream).fin;
  }, link ? { link, maxSteps: 5000 } : {});
  if (!ok) throw new Error(JSON.stringify([p.client.state, p.server?.state, p.client.earlyData, p.clientEvents.filter((e) => e.type !== 'stream_data'), p.serverEvents.filter((e) => e.type !== 'stream_data'), collectStream(p.serverEvents, stream).fin]));
  expect(ok).toBe(true);
}

describe('0-RTT from our client', () => {
  it('sends the request in 0-RTT, coalesced after the Initial, and the server accepts it', () => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key);
    const { p, stream, zeroRtt } = resumeWithRequest(cache, key, { acceptEarlyData: true });
    expect(p.client.earlyData).toBe('pending');
    const first: Uint8Array[] = [];
    roundtrip(p, (d, dir) => {
      if (dir === 'c2s') first.push(...d);
      return d;
    });
    // One datagram of at least 1200 bytes: an Initial, then a 0-RTT packet with the request.
    expect(first.length).toBe(1);
    const d = first[0]!;
    expect(d.length).toBeGreaterThanOrEqual(1200);
    const h1 = parsePacketHeader(d, 0, 8);
    expect(h1.type).toBe('initial');
    const h2 = parsePacketHeader(d, h1.payloadEnd, 8);
    expect(h2.type).toBe('0RTT');
    expect(h2.payloadEnd).toBe(d.length);
    // The server has the request before its handshake completes: it came in 0-RTT.
    expect(bytes(p.serverEvents, stream)).toEqual(REQUEST);
    expect(p.server!.state).not.toBe('connected');
    echoUntilDone(p, stream);
    expect(p.client.earlyData).toBe('accepted');
    expect(p.client.tls.resumed).toBe(true);
    expect(bytes(p.clientEvents, stream)).toEqual(REQUEST);
    // Only STREAM frames (0x08-0x0f) and PADDING travelled in 0-RTT.
    expect(zeroRtt.length).toBeGreaterThan(0);
    for (const types of zeroRtt) for (const t of types) expect(t === 0x00 || (t >= 0x08 && t <= 0x0f), `frame type 0x${t.toString(16)}`).toBe(true);
    expect(zeroRtt.flat().some((t) => t >= 0x08 && t <= 0x0f)).toBe(true);
  });

  it('a server without acceptEarlyData resumes but rejects 0-RTT: the request goes again in 1-RTT', () => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key);
    const { p, stream, zeroRtt } = resumeWithRequest(cache, key, { acceptEarlyData: false });
    echoUntilDone(p, stream);
    expect(p.client.tls.resumed).toBe(true);
    expect(p.client.earlyData).toBe('rejected');
    expect(p.client.zeroRttPacketsSent).toBeGreaterThan(0);
    expect(zeroRtt.length).toBe(0); // the server could read none of them
    expect(bytes(p.serverEvents, stream)).toEqual(REQUEST);
    expect(bytes(p.clientEvents, stream)).toEqual(REQUEST);
  });

  it('a server with another ticket key makes a full handshake: 0-RTT rejected, data resent', () => {
    const cache = ticketFrom(new SessionTicketKey());
    const { p, stream } = resumeWithRequest(cache, new SessionTicketKey(), { acceptEarlyData: true });
    echoUntilDone(p, stream);
    expect(p.client.tls.resumed).toBe(false);
    expect(p.client.earlyData).toBe('rejected');
    expect(bytes(p.serverEvents, stream)).toEqual(REQUEST);
    expect(bytes(p.clientEvents, stream)).toEqual(REQUEST);
    // Nothing is sent in 0-RTT once the outcome is known.
    const sentBefore = p.client.zeroRttPacketsSent;
    const s2 = p.client.createStream();
    p.client.sendStreamData(s2, REQUEST, true);
    runFor(p, 50_000);
    expect(p.client.zeroRttPacketsSent).toBe(sentBefore);
    expect(bytes(p.serverEvents, s2)).toEqual(REQUEST);
  });

  it('a HelloRetryRequest ends 0-RTT (RFC 8446 §4.2.10): rejected, the data goes in 1-RTT', () => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key);
    // The server wants P-256; the client's first key share is X25519: the server asks again.
    const { p, stream, zeroRtt } = resumeWithRequest(cache, key, { acceptEarlyData: true, groups: [GROUP_SECP256R1] });
    echoUntilDone(p, stream);
    expect(p.client.tls.resumed).toBe(true);
    expect(p.client.earlyData).toBe('rejected');
    expect(zeroRtt.length).toBe(0);
    expect(bytes(p.serverEvents, stream)).toEqual(REQUEST);
  });

  it('a ticket that does not allow early data means no 0-RTT, and streams wait for the handshake', () => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key, { acceptEarlyData: false });
    expect(cache.get('localhost')!.maxEarlyData).toBe(0);
    const p = makePair({ client: { sessionCache: cache, enableEarlyData: true }, server: { sessionTicketKey: key, acceptEarlyData: true } });
    expect(p.client.canCreateStream()).toBe(false);
    handshake(p);
    expect(p.client.tls.resumed).toBe(true);
    expect(p.client.earlyData).toBe('none');
  });

  it('without enableEarlyData the client resumes and sends no 0-RTT', () => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key);
    const p = makePair({ client: { sessionCache: cache }, server: { sessionTicketKey: key, acceptEarlyData: true } });
    expect(p.client.canCreateStream()).toBe(false);
    handshake(p);
    expect(p.client.tls.resumed).toBe(true);
    expect(p.client.earlyData).toBe('none');
    expect(p.client.zeroRttPacketsSent).toBe(0);
  });

  it.each([1, 2, 3, 4, 5])('0-RTT packets lost on a lossy link are recovered (seed %i)', (seed) => {
    const key = new SessionTicketKey();
    const cache = ticketFrom(key);
    const { p, stream } = resumeWithRequest(cache, key, { acceptEarlyData: true });
    // More data than one packet, so several 0-RTT packets; the first client datagram is lost.
    const big = new Uint8Array(6000).map((_, i) => (i * 7 + seed) & 0xff);
    const s2 = p.client.createStream();
    p.client.sendStreamData(s2, big, true);
    let first = true;
    const lossy = lossyLink(seed, { drop: 0.2 });
    const link: Link = (d, dir) => {
      if (first && dir === 'c2s') {
        first = false;
        return d.slice(1); // the Initial + 0-RTT datagram never arrives
      }
      return lossy(d, dir);
    };
    echoUntilDone(p, stream, link);
    const ok = runUntil(p, () => collectStream(p.serverEvents, s2).fin, { link, maxSteps: 5000 });
    expect(ok).toBe(true);
    expect(bytes(p.serverEvents, s2)).toEqual(big);
    expect(bytes(p.clientEvents, stream)).toEqual(REQUEST);
    // The server accepted 0-RTT; what it never got of it went again once 1-RTT was up.
    expect(p.client.earlyData).toBe('accepted');
    expect(p.client.stats.packetsLost).toBeGreaterThan(0);
  });

  it('0-RTT stays within the remembered limits (RFC 9000 §7.4.1)', () => {
    const key = new SessionTicketKey();
    // The ticket remembers a server allowing 2 bidirectional streams and 1000 bytes per stream.
    const limits = { acceptEarlyData: true, initialMaxStreamsBidi: 2, initialMaxStreamData: 1000, initialMaxData: 1500 };
    const cache = ticketFrom(key, limits);
    const p = makePair({ client: { sessionCache: cache, enableEarlyData: true }, server: { sessionTicketKey: key, ...limits } });
    const zeroRtt = watchZeroRtt(p);
    const a = p.client.createStream();
    const b = p.client.createStream();
    expect(p.client.canCreateStream()).toBe(false);
    expect(() => p.client.createStream()).toThrow(/allows 2/);
    const data = new Uint8Array(3000).fill(7);
    p.client.sendStreamData(a, data, true);
    p.client.sendStreamData(b, data, true);
    handshake(p);
    runUntil(p, () => collectStream(p.serverEvents, a).fin && collectStream(p.serverEvents, b).fin, { maxSteps: 5000 });
    expect(bytes(p.serverEvents, a)).toEqual(data);
    expect(bytes(p.serverEvents, b)).toEqual(data);
    expect(p.client.earlyData).toBe('accepted');
    // In 0-RTT: no more than the remembered MAX_DATA in all, MAX_STREAM_DATA per stream.
    expect(zeroRtt.length).toBeGreaterThan(0);
    const early = [...zeroRtt.streamBytes.values()];
    expect(early.reduce((x, y) => x + y, 0)).toBe(1500);
    for (const n of early) expect(n).toBeLessThanOrEqual(1000);
    // No flow-control error: the server never saw more than it allowed.
    expect(p.serverEvents.some((e) => e.type === 'connection_terminated')).toBe(false);
  });
});
