import { describe, expect, it } from 'vitest';
import { ViewCache, copyRange } from '../../../src/quic/wire/bytes-copy.js';
import { Prng } from './prng.js';

function randomBytes(rng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.u32() & 0xff;
  return out;
}

/** What `set` of a subarray does: the reference for every copy. */
function reference(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, n: number): Uint8Array {
  const out = new Uint8Array(dst);
  out.set(src.subarray(srcAt, srcAt + n), dstAt);
  return out;
}

describe('copyRange', () => {
  it('matches set() with and without a view cache, over buffers that are rewritten between copies', () => {
    const rng = new Prng(7);
    const cache = new ViewCache(4);
    // A few source buffers (datagram-like, reused and rewritten) and views into them.
    const wholes = [randomBytes(rng, 1500), randomBytes(rng, 1500), randomBytes(rng, 2100)];
    const dst = randomBytes(rng, 2000);
    for (let round = 0; round < 3000; round++) {
      const whole = wholes[rng.int(wholes.length)]!;
      // Rewrite the buffer sometimes: a kept view must show the new bytes, not stale ones.
      if (rng.chance(0.3)) whole.set(randomBytes(rng, 64), rng.int(whole.length - 64));
      const viewAt = rng.int(4);
      const src = whole.subarray(viewAt);
      // Few distinct ranges, as datagrams of one peer have: the cache hits and misses.
      const srcAt = [19, 18, 0, 23, 200][rng.int(5)]!;
      const n = Math.min(src.length - srcAt, [1165, 1166, 1, 0, 1400][rng.int(5)]!);
      const dstAt = rng.int(dst.length - n + 1);
      const want = reference(dst, dstAt, src, srcAt, n);
      copyRange(dst, dstAt, src, srcAt, n, rng.chance(0.8) ? cache : undefined);
      expect(dst).toEqual(want);
    }
  });

  it('copies whole arrays and overlapping ranges of one buffer like set()', () => {
    const rng = new Prng(3);
    const buf = randomBytes(rng, 100);
    const want = reference(buf, 10, buf, 5, 50);
    copyRange(buf, 10, buf, 5, 50, new ViewCache());
    expect(buf).toEqual(want);
    const small = randomBytes(rng, 7);
    const dst = new Uint8Array(20);
    copyRange(dst, 13, small, 0, 7);
    expect([...dst.subarray(13)]).toEqual([...small]);
  });

  it('rejects ranges outside either array without writing', () => {
    const src = new Uint8Array(64).fill(9);
    const dst = new Uint8Array(64);
    expect(() => copyRange(dst, 0, src, 60, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, 60, src, 0, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, -1, src, 0, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, 0, src, 0, -1)).toThrow(RangeError);
    expect(() => copyRange(dst, 0, src, Number.NaN, 4)).toThrow(RangeError);
    expect(dst.every((b) => b === 0)).toBe(true);
  });
});

describe('ViewCache', () => {
  it('hands back the same view for the same buffer, offset and length, and a new one otherwise', () => {
    const cache = new ViewCache(2);
    const a = new Uint8Array(100);
    const b = new Uint8Array(100);
    const v = cache.view(a, 10, 20);
    expect(cache.view(a, 10, 20)).toBe(v);
    // Same position seen through another view of the same buffer.
    expect(cache.view(a.subarray(5), 5, 20)).toBe(v);
    expect(cache.view(a, 10, 21)).not.toBe(v);
    expect(cache.view(b, 10, 20)).not.toBe(v);
    // Two newer views evicted it (size 2).
    expect(cache.view(a, 10, 20)).not.toBe(v);
    cache.clear();
    expect(() => new ViewCache(3)).toThrow(RangeError);
  });
});
