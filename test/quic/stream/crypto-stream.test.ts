import { describe, expect, it } from 'vitest';
import { CryptoStream, DEFAULT_MAX_CRYPTO_BUFFER } from '../../../src/quic/stream/crypto-stream.js';
import { QuicError, TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { Prng } from '../recovery/prng.js';

const range = (start: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

describe('CryptoStream: sending', () => {
  it('hands out CRYPTO frames with increasing offsets and no flow control', () => {
    const c = new CryptoStream();
    c.write(range(0, 3000));
    expect(c.hasDataToSend).toBe(true);
    const frames = [c.nextFrame(1200)!, c.nextFrame(1200)!, c.nextFrame(1200)!];
    expect(frames.map((f) => [f.offset, f.data.length])).toEqual([[0, 1200], [1200, 1200], [2400, 600]]);
    expect(c.nextFrame(1200)).toBeUndefined();
    expect(c.hasDataToSend).toBe(false);
  });

  it('retransmits lost ranges first and tracks acknowledgement', () => {
    const c = new CryptoStream();
    c.write(range(0, 100));
    c.nextFrame(60);
    c.write(range(100, 50));
    c.onLost(0, 60);
    expect(c.nextFrame(1000)).toMatchObject({ offset: 0 });
    expect(c.nextFrame(1000)!.offset).toBe(60);
    c.onAcked(0, 60);
    expect(c.allAcked).toBe(false);
    c.onAcked(60, 90);
    expect(c.allAcked).toBe(true);
  });

  it('requeueUnacked resends everything sent but not acknowledged (PTO probe)', () => {
    const c = new CryptoStream();
    c.write(range(0, 100));
    c.nextFrame(100);
    c.onAcked(20, 30);
    c.requeueUnacked();
    const again = [c.nextFrame(1000)!, c.nextFrame(1000)!];
    expect(again.map((f) => [f.offset, f.data.length])).toEqual([[0, 20], [50, 50]]);
    expect([...again[1]!.data]).toEqual([...range(50, 50)]);
  });
});

describe('CryptoStream: receiving', () => {
  it('reassembles out-of-order CRYPTO frames for TLS', () => {
    const prng = new Prng(301);
    const data = prng.bytes(5000);
    const c = new CryptoStream();
    const pieces: [number, number][] = [];
    for (let at = 0; at < data.length; at += 700) pieces.push([at, Math.min(700, data.length - at)]);
    pieces.push([100, 900], [0, 50]);
    prng.shuffle(pieces);
    const out: Uint8Array[] = [];
    for (const [offset, length] of pieces) {
      c.onData(offset, data.slice(offset, offset + length));
      out.push(c.read().slice());
    }
    expect(Buffer.concat(out).equals(Buffer.from(data))).toBe(true);
    expect(c.readOffset).toBe(5000);
  });

  it('CRYPTO_BUFFER_EXCEEDED when data reaches too far past what TLS read (RFC 9000 §7.5)', () => {
    const c = new CryptoStream(4096);
    c.onData(4000, range(0, 96));
    let error: unknown;
    try {
      c.onData(4000, range(0, 97));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
    // Once TLS consumed the start, the window moves on.
    c.onData(0, range(0, 4000));
    expect(c.read().length).toBe(4096);
    c.onData(8000, range(0, 192));
  });

  it('the default limit is 64 KiB', () => {
    const c = new CryptoStream();
    expect(DEFAULT_MAX_CRYPTO_BUFFER).toBe(65_536);
    c.onData(65_535, range(0, 1));
    expect(() => c.onData(65_536, range(0, 1))).toThrow(QuicError);
  });

  it('old retransmitted data is ignored', () => {
    const c = new CryptoStream(100);
    c.onData(0, range(0, 50));
    c.read();
    c.onData(0, range(0, 50));
    expect(c.readable).toBe(0);
  });
});
