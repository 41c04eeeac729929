/**
 * crypto/range-views.ts, the view cache packet protection copies ranges through (here, next to
 * the other per-packet allocation tests).
 */
import { describe, expect, it } from 'vitest';
import { RangeViews } from '../../../src/quic/crypto/range-views.js';

describe('RangeViews', () => {
  it('returns the bytes asked for, the buffer itself for its whole range, and the same view on a hit', () => {
    const buf = Uint8Array.from({ length: 100 }, (_, i) => i);
    const r = new RangeViews();
    expect(r.of(buf, 0, 100)).toBe(buf);
    const v = r.of(buf, 10, 20);
    expect([...v]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(r.of(buf, 10, 20)).toBe(v);
    expect(r.of(buf, 10, 21)).not.toBe(v);
    expect(r.of(new Uint8Array(100), 10, 20)).not.toBe(v);
  });

  it('keeps a few dozen ranges at once, as a datagram buffer of varied packet lengths needs', () => {
    const buf = new Uint8Array(1500);
    const r = new RangeViews();
    // Ranges [0, n) for 24 lengths, then all of them again: every second lookup hits.
    const first = new Map<number, Uint8Array>();
    for (let n = 40; n < 64; n++) first.set(n, r.of(buf, 0, n));
    for (let n = 40; n < 64; n++) expect(r.of(buf, 0, n)).toBe(first.get(n));
  });

  it('keeps two ranges of one set when they alternate', () => {
    const buf = new Uint8Array(2000);
    const r = new RangeViews();
    // end + 7 × start modulo 32 picks the set: [0, 64) and [0, 96) share one.
    const a = r.of(buf, 0, 64);
    const b = r.of(buf, 0, 96);
    for (let i = 0; i < 3; i++) {
      expect(r.of(buf, 0, 64)).toBe(a);
      expect(r.of(buf, 0, 96)).toBe(b);
    }
    // A third range of that set replaces one of them, and still reads the right bytes.
    buf[127] = 9;
    expect(r.of(buf, 0, 128)[127]).toBe(9);
  });
});
