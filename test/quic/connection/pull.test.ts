/**
 * The pull API for received stream data: `setStreamReads('pull')`, `stream_readable` events and
 * `readStream` into the application's buffer (RFC 9000 §2.2 ordered delivery, §4.1 flow control
 * following what the application consumed, §3.2 FIN and reset).
 */
import { describe, expect, it } from 'vitest';
import type { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { QuicEvent } from '../../../src/quic/events.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { codeOf } from '../stream/error-code.js';
import { handshake, lossyLink, makePair, runFor, runUntil, type Link, type Pair } from './harness.js';

/** What an application of the pull API does: on each stream_readable, read until 0 or -1. */
class PullReader {
  readonly chunks = new Map<number, Uint8Array[]>();
  readonly ended = new Set<number>();
  notifications = 0;
  private seen = 0;
  /** One buffer for every read, as an application would keep. */
  private readonly buf: Uint8Array;

  constructor(
    private readonly cnx: () => QuicConnection | undefined,
    private readonly events: QuicEvent[],
    bufSize = 3000,
  ) {
    this.buf = new Uint8Array(bufSize);
  }

  /** Handles the events queued since the last call; returns this for chaining in conditions. */
  poll(): this {
    for (; this.seen < this.events.length; this.seen++) {
      const e = this.events[this.seen]!;
      if (e.type === 'stream_readable') {
        this.notifications++;
        this.drain(e.streamId);
      }
    }
    return this;
  }

  drain(id: number): void {
    const cnx = this.cnx()!;
    for (;;) {
      const n = cnx.readStream(id, this.buf);
      if (n < 0) this.ended.add(id);
      if (n <= 0) return;
      const list = this.chunks.get(id) ?? [];
      list.push(this.buf.slice(0, n));
      this.chunks.set(id, list);
    }
  }

  data(id: number): Buffer {
    return Buffer.concat(this.chunks.get(id) ?? []);
  }
}

function pullPair(opts: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair({ ...opts, beforeConnect: (c) => c.setStreamReads('pull') });
  p.onServerCreated = (s) => s.setStreamReads('pull');
  return p;
}

/** A request from the client, read by the server with the pull API; returns the stream id. */
function request(p: Pair, server: PullReader, link?: Link): number {
  const id = p.client.createStream();
  p.client.sendStreamData(id, new TextEncoder().encode('GET /x\r\n'), true);
  expect(runUntil(p, () => server.poll().ended.has(id), { ...(link ? { link } : {}), maxSteps: 5000 })).toBe(true);
  expect(server.data(id).toString()).toBe('GET /x\r\n');
  return id;
}

describe('pull reads (readStream)', () => {
  it('transfers both ways, copying into the application buffer, with no stream_data events', () => {
    const p = pullPair();
    handshake(p);
    const client = new PullReader(() => p.client, p.clientEvents);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    p.server!.sendStreamData(id, body, true);
    expect(runUntil(p, () => client.poll().ended.has(id))).toBe(true);
    expect(client.data(id).equals(body)).toBe(true);
    expect([...p.clientEvents, ...p.serverEvents].some((e) => e.type === 'stream_data')).toBe(false);
    expect(client.notifications).toBeGreaterThan(0);
    // Read to the end and the sending side done: the stream is forgotten, and still reads as ended.
    runUntil(p, () => p.server!.streams.streamView(id) === undefined);
    expect(p.client.readStream(id, new Uint8Array(10))).toBe(-1);
  });

  it('completes a transfer over a 10% lossy link', () => {
    for (const seed of [1, 2, 3]) {
      const p = pullPair();
      const link = lossyLink(seed, { drop: 0.1, duplicate: 0.02, reorder: 0.1 });
      handshake(p, link);
      const client = new PullReader(() => p.client, p.clientEvents, 1000 + seed * 700);
      const server = new PullReader(() => p.server, p.serverEvents);
      const id = request(p, server, link);
      const body = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff);
      p.server!.sendStreamData(id, body, true);
      expect(runUntil(p, () => client.poll().ended.has(id), { link, maxSteps: 20000 }), `seed ${seed}`).toBe(true);
      expect(client.data(id).equals(body), `seed ${seed}`).toBe(true);
    }
  });

  it('raises stream_readable once until the application reads', () => {
    const p = pullPair();
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    const readable = () => p.clientEvents.filter((e) => e.type === 'stream_readable' && e.streamId === id).length;
    p.server!.sendStreamData(id, new Uint8Array(1000).fill(1));
    runUntil(p, () => readable() > 0);
    // More data arrives, nothing is read: no second event.
    p.server!.sendStreamData(id, new Uint8Array(1000).fill(2));
    runUntil(p, () => p.client.streams.streamView(id)!.recv!.readable === 2000);
    expect(readable()).toBe(1);
    // A partial read re-arms the event for the next arrival.
    const buf = new Uint8Array(500);
    expect(p.client.readStream(id, buf)).toBe(500);
    p.server!.sendStreamData(id, new Uint8Array(1000).fill(3));
    runUntil(p, () => readable() === 2);
    expect(readable()).toBe(2);
    // The same object each time: nothing is allocated per notification.
    const events = p.clientEvents.filter((e) => e.type === 'stream_readable' && e.streamId === id);
    expect(events[0]).toBe(events[1]);
  });

  it('MAX_STREAM_DATA follows what the application consumed (RFC 9000 §4.1)', () => {
    const window = 16 * 1024;
    const p = pullPair({ client: { initialMaxStreamData: window, maxStreamDataWindow: window } });
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    const body = new Uint8Array(100_000).map((_, i) => (i * 3) & 0xff);
    p.server!.sendStreamData(id, body, true);
    const credit = () => p.server!.streams.streamView(id)!.send!.credit;
    // The application does not read: the sender stops at the window it was given.
    runFor(p, 300_000);
    expect(credit().limit).toBe(window);
    expect(p.client.streams.streamView(id)!.recv!.highestReceived).toBe(window);
    // Consuming less than half the window releases no credit yet.
    const buf = new Uint8Array(window);
    expect(p.client.readStream(id, buf, 0, 4096)).toBe(4096);
    runFor(p, 100_000);
    expect(credit().limit).toBe(window);
    // Past half: MAX_STREAM_DATA moves the limit to what was consumed plus the window.
    expect(p.client.readStream(id, buf, 4096, 6000)).toBe(6000);
    expect(runUntil(p, () => credit().limit > window)).toBe(true);
    expect(credit().limit).toBe(10_096 + window);
    expect(Buffer.from(buf.subarray(0, 10_096)).equals(Buffer.from(body.subarray(0, 10_096)))).toBe(true);
    // Reading the rest as it comes finishes the transfer.
    const client = new PullReader(() => p.client, p.clientEvents);
    client.chunks.set(id, [buf.slice(0, 10_096)]);
    client.drain(id);
    expect(runUntil(p, () => client.poll().ended.has(id))).toBe(true);
    expect(client.data(id).equals(body)).toBe(true);
  });

  it('reports the end (-1) after the last bytes, and after a reset', () => {
    const p = pullPair();
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    p.server!.sendStreamData(id, new Uint8Array([1, 2, 3]), true);
    runUntil(p, () => p.clientEvents.some((e) => e.type === 'stream_readable' && e.streamId === id));
    const buf = new Uint8Array(10);
    expect(p.client.readStream(id, buf)).toBe(3);
    expect(p.client.readStream(id, buf)).toBe(-1);
    expect(p.client.readStream(id, buf)).toBe(-1);

    const id2 = p.client.createStream();
    p.client.sendStreamData(id2, new Uint8Array([9]));
    runUntil(p, () => p.server!.streams.streamView(id2) !== undefined);
    p.server!.sendStreamData(id2, new Uint8Array(500));
    runUntil(p, () => p.client.streams.streamView(id2)!.recv!.readable === 500);
    p.server!.resetStream(id2, 42);
    runUntil(p, () => p.clientEvents.some((e) => e.type === 'stream_reset' && e.streamId === id2));
    expect(p.client.readStream(id2, buf)).toBe(-1);
    expect(p.client.streams.streamView(id2)!.recv!.state).toBe('ResetRead');
  });

  it('rejects reads of streams that cannot receive or do not exist, and ranges outside the buffer', () => {
    const p = pullPair();
    handshake(p);
    const buf = new Uint8Array(10);
    // Never opened (ours and the peer's), and our own unidirectional stream.
    expect(codeOf(() => p.client.readStream(400, buf))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => p.client.readStream(401, buf))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    const uni = p.client.createStream(false);
    expect(codeOf(() => p.client.readStream(uni, buf))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => p.client.readStream(-4, buf))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    expect(codeOf(() => p.client.readStream(Number.NaN, buf))).toBe(TransportErrorCode.STREAM_STATE_ERROR);
    const id = p.client.createStream();
    expect(() => p.client.readStream(id, buf, 11)).toThrow(RangeError);
    expect(() => p.client.readStream(id, buf, 5, 6)).toThrow(RangeError);
    expect(() => p.client.readStream(id, buf, -1)).toThrow(RangeError);
    expect(() => p.client.readStream(id, buf, 0.5, 2)).toThrow(RangeError);
    // Nothing received yet; a zero-length buffer reads nothing even when bytes wait.
    expect(p.client.readStream(id, buf)).toBe(0);
    p.client.sendStreamData(id, new Uint8Array([1]));
    const server = new PullReader(() => p.server, p.serverEvents);
    runUntil(p, () => server.poll().data(id).length === 1);
    p.server!.sendStreamData(id, new Uint8Array([5, 6]));
    runUntil(p, () => p.client.streams.streamView(id)!.recv!.readable === 2);
    expect(p.client.readStream(id, new Uint8Array(0))).toBe(0);
    expect(p.client.readStream(id, buf, 10)).toBe(0);
    expect(p.client.readStream(id, buf, 9)).toBe(1);
    expect(buf[9]).toBe(5);
    expect(() => p.client.setStreamReads('later' as 'pull')).toThrow(RangeError);
    expect(p.client.streamReads).toBe('pull');
  });
});

describe('pull reads and STOP_SENDING', () => {
  it('a stream the application stopped is forgotten once the peer finishes it, without a read', () => {
    const p = pullPair();
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    p.server!.sendStreamData(id, new Uint8Array(2000));
    runUntil(p, () => p.client.streams.streamView(id)!.recv!.readable === 2000);
    p.client.stopSending(id, 5);
    // The server answers STOP_SENDING with RESET_STREAM (RFC 9000 §3.5) and the stream closes.
    expect(runUntil(p, () => p.client.streams.streamView(id) === undefined && p.server!.streams.streamView(id) === undefined)).toBe(true);
    expect(p.client.readStream(id, new Uint8Array(10))).toBe(-1);
  });
});

describe('pull reads and STOP_SENDING, the FIN first', () => {
  it('stopping a stream whose data is all in but unread finishes it at once', () => {
    const p = pullPair();
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    p.server!.sendStreamData(id, new Uint8Array(5000), true);
    runUntil(p, () => p.client.streams.streamView(id)!.recv!.state === 'DataRecvd');
    const before = p.client.streams.recvWindow.consumed;
    p.client.stopSending(id, 5);
    expect(p.client.streams.streamView(id)).toBeUndefined();
    expect(p.client.streams.recvWindow.consumed - before).toBe(5000);
    expect(p.client.readStream(id, new Uint8Array(10))).toBe(-1);
  });

  it('a stopped stream completed by a retransmission before the peer resets it is forgotten without a read', () => {
    const p = pullPair();
    handshake(p);
    const server = new PullReader(() => p.server, p.serverEvents);
    const id = request(p, server);
    // 1: of the server's first burst only the last datagram (with the FIN) arrives. 2: the
    // client's ACKs get through and the server retransmits, but its datagrams are held back.
    // 3: the client has sent STOP_SENDING, which is lost; the held retransmission arrives and
    // completes the stream before the server could reset it.
    let phase = 1;
    const held: Uint8Array[] = [];
    const link: Link = (ds, dir) => {
      if (phase === 1 && dir === 's2c' && ds.length > 1) {
        phase = 2;
        return ds.slice(-1);
      }
      if (phase === 2 && dir === 's2c') {
        held.push(...ds);
        return [];
      }
      if (phase === 3 && dir === 'c2s') return [];
      if (phase === 3 && dir === 's2c') return [...held.splice(0), ...ds];
      return ds;
    };
    p.server!.sendStreamData(id, new Uint8Array(3000), true);
    const recv = () => p.client.streams.streamView(id)?.recv;
    expect(runUntil(p, () => phase === 2 && held.length > 0, { link })).toBe(true);
    expect(recv()!.state).toBe('SizeKnown');
    p.client.stopSending(id, 5);
    expect(recv()!.stopSendingCode).toBe(5);
    phase = 3;
    expect(runUntil(p, () => p.client.streams.streamView(id) === undefined, { link, maxSteps: 50 })).toBe(true);
    expect(p.clientEvents.some((e) => e.type === 'stream_readable' && e.streamId === id)).toBe(false);
  });
});
