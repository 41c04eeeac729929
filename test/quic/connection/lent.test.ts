/**
 * Lent stream reads (`setStreamReads('lent', buffer)`): `stream_data` events as push mode hands
 * them out, with the bytes copied into the application's buffer when the event is taken, and
 * one event object and a few views reused (valid until the next `nextEvent`). Same ordered
 * delivery (RFC 9000 §2.2), FIN once (§3.2) and flow control following what the application
 * took (§4.1) as pull reads.
 */
import { describe, expect, it } from 'vitest';
import type { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { StreamDataReceived } from '../../../src/quic/events.js';
import { handshake, lossyLink, makePair, runUntil, type Link, type Pair } from './harness.js';

/**
 * Wraps `cnx.nextEvent` the way an application of lent reads consumes events: each
 * `stream_data` is used before the next call (here: its bytes copied), and the objects handed
 * out are recorded to check their reuse. The harness then sees copies.
 */
class LentReader {
  readonly chunks = new Map<number, Uint8Array[]>();
  readonly fins = new Map<number, number>();
  readonly eventObjects = new Set<StreamDataReceived>();
  readonly views = new Set<Uint8Array>();
  readonly lengths = new Set<number>();
  deliveries = 0;

  constructor(cnx: QuicConnection, readonly buffer: Uint8Array) {
    cnx.setStreamReads('lent', buffer);
    const next = cnx.nextEvent.bind(cnx);
    cnx.nextEvent = () => {
      const e = next();
      if (e?.type !== 'stream_data') return e;
      this.deliveries++;
      this.eventObjects.add(e);
      this.views.add(e.data);
      this.lengths.add(e.data.length);
      expect(e.data.buffer).toBe(buffer.buffer);
      expect(e.data.byteOffset).toBe(buffer.byteOffset);
      const list = this.chunks.get(e.streamId) ?? [];
      list.push(e.data.slice());
      this.chunks.set(e.streamId, list);
      if (e.fin) this.fins.set(e.streamId, (this.fins.get(e.streamId) ?? 0) + 1);
      return { ...e, data: e.data.slice() };
    };
  }

  data(id: number): Buffer {
    return Buffer.concat(this.chunks.get(id) ?? []);
  }
}

/** The client reads with lent reads; the server answers a request stream with `body`. */
function download(p: Pair, client: LentReader, body: Uint8Array, link?: Link): number {
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
  expect(runUntil(p, () => p.serverEvents.some((e) => e.type === 'stream_data' && e.streamId === id && e.fin), { ...(link ? { link } : {}), maxSteps: 5000 })).toBe(true);
  p.server!.sendStreamData(id, body, true);
  expect(runUntil(p, () => client.fins.has(id), { ...(link ? { link } : {}), maxSteps: 20000 })).toBe(true);
  return id;
}

const bodyOf = (n: number, k: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * k + (i >> 8)) & 0xff);

describe('lent stream reads', () => {
  it('delivers a transfer byte-exact through one event object and a view per length, FIN once', () => {
    const p = makePair();
    handshake(p);
    const client = new LentReader(p.client, new Uint8Array(3000));
    expect(p.client.streamReads).toBe('lent');
    const body = bodyOf(300_000, 7);
    const id = download(p, client, body);
    expect(client.data(id).equals(body)).toBe(true);
    expect(client.fins.get(id)).toBe(1);
    expect(client.eventObjects.size).toBe(1);
    expect(client.views.size).toBe(client.lengths.size);
    expect(client.deliveries).toBeGreaterThan(client.views.size * 5);
    // Nothing more to tell: the end was delivered once.
    runUntil(p, () => false, { maxSteps: 50 });
    expect(client.fins.get(id)).toBe(1);
    expect(p.client.readStream(id, new Uint8Array(10))).toBe(-1);
  });

  it('splits what does not fit the buffer over later events, in order', () => {
    const p = makePair();
    handshake(p);
    const client = new LentReader(p.client, new Uint8Array(100));
    const body = bodyOf(50_000, 3);
    const id = download(p, client, body);
    expect(client.data(id).equals(body)).toBe(true);
    expect(client.fins.get(id)).toBe(1);
    expect(Math.max(...client.lengths)).toBe(100);
    expect(client.deliveries).toBeGreaterThanOrEqual(500);
  });

  it('tells a FIN that comes after the data in an event of its own, with no bytes', () => {
    const p = makePair();
    handshake(p);
    const client = new LentReader(p.client, new Uint8Array(4096));
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    expect(runUntil(p, () => p.serverEvents.some((e) => e.type === 'stream_data' && e.streamId === id && e.fin))).toBe(true);
    p.server!.sendStreamData(id, bodyOf(1000, 5), false);
    expect(runUntil(p, () => client.data(id).length === 1000)).toBe(true);
    expect(client.fins.has(id)).toBe(false);
    p.server!.sendStreamData(id, new Uint8Array(0), true);
    expect(runUntil(p, () => client.fins.has(id))).toBe(true);
    const last = p.clientEvents.filter((e) => e.type === 'stream_data' && e.streamId === id).at(-1) as StreamDataReceived;
    expect(last.fin).toBe(true);
    expect(last.data.length).toBe(0);
    expect(client.data(id).equals(bodyOf(1000, 5))).toBe(true);
  });

  it('completes transfers over a lossy link', () => {
    for (const seed of [4, 5]) {
      const p = makePair();
      const link = lossyLink(seed, { drop: 0.1, duplicate: 0.02, reorder: 0.1 });
      handshake(p, link);
      const client = new LentReader(p.client, new Uint8Array(1500 + seed * 300));
      const body = bodyOf(200_000, 11);
      const id = download(p, client, body, link);
      expect(client.data(id).equals(body), `seed ${seed}`).toBe(true);
      expect(client.fins.get(id), `seed ${seed}`).toBe(1);
    }
  });

  it('returns flow-control credit as events are taken, not as datagrams arrive (RFC 9000 §4.1)', () => {
    const p = makePair();
    handshake(p);
    p.client.setStreamReads('lent', new Uint8Array(2000));
    const id = p.client.createStream();
    p.client.sendStreamData(id, new TextEncoder().encode('GET /\r\n'), true);
    expect(runUntil(p, () => p.serverEvents.some((e) => e.type === 'stream_data' && e.streamId === id && e.fin))).toBe(true);
    const window = p.clientConfig.initialMaxStreamData;
    // No one takes the client's events: the server stops at the initial window.
    const original = p.client.nextEvent.bind(p.client);
    let taking = false;
    let got = 0;
    p.client.nextEvent = () => {
      if (!taking) return undefined;
      const e = original();
      if (e?.type === 'stream_data') got += e.data.length;
      return e;
    };
    p.server!.sendStreamData(id, bodyOf(3 * window, 1), true);
    const readable = (): number => p.client.streams.streamView(id)!.recv!.readable;
    expect(runUntil(p, () => readable() === window)).toBe(true);
    expect(p.client.state).toBe('connected');
    // Taking the events reads the bytes, and the credit follows.
    taking = true;
    expect(runUntil(p, () => got === 3 * window, { maxSteps: 5000 })).toBe(true);
  });

  it('needs a buffer, and switching back to push or pull drops it', () => {
    const p = makePair();
    expect(() => p.client.setStreamReads('lent')).toThrow(RangeError);
    expect(() => p.client.setStreamReads('lent', new Uint8Array(0))).toThrow(RangeError);
    expect(() => p.client.setStreamReads('lent', [1, 2] as unknown as Uint8Array)).toThrow(RangeError);
    p.client.setStreamReads('lent', new Uint8Array(1));
    expect(p.client.streamReads).toBe('lent');
    p.client.setStreamReads('push');
    expect(p.client.streamReads).toBe('push');
    p.client.setStreamReads('lent', new Uint8Array(1));
    p.client.setStreamReads('pull');
    expect(p.client.streamReads).toBe('pull');
  });
});
