import { describe, expect, it } from 'vitest';
import { copyRange, withWordView, wordBytes } from '../../../src/quic/wire/bytes-copy.js';
import { Prng } from './prng.js';

/** A buffer of `size` random bytes, registered for word copies unless `plain`, seen from `viewAt`. */
function source(rng: Prng, size: number, viewAt: number, plain = false): Uint8Array {
  const whole = plain ? new Uint8Array(size) : wordBytes(size);
  for (let i = 0; i < size; i++) whole[i] = rng.u32() & 0xff;
  return whole.subarray(viewAt);
}

/** What `set` of a subarray does: the reference for every copy. */
function reference(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, n: number): Uint8Array {
  const out = new Uint8Array(dst);
  out.set(src.subarray(srcAt, srcAt + n), dstAt);
  return out;
}

describe('copyRange', () => {
  it('matches set() for every alignment pair and lengths 0..2000', () => {
    const rng = new Prng(7);
    // Views starting at 0..3 bytes into their buffers, positions 0..3 inside the views: every
    // combination of source and destination positions mod 4, with odd buffer sizes so word
    // views end before the buffer does.
    for (let sv = 0; sv < 4; sv++) {
      for (let dv = 0; dv < 4; dv++) {
        const src = source(rng, 2011 + sv, sv);
        const dst = source(rng, 2013 + dv, dv);
        for (let n = 0; n <= 2000; n += n < 40 ? 1 : 37) {
          for (let sa = 0; sa < 4; sa++) {
            for (let da = 0; da < 4; da++) {
              const srcAt = Math.min(sa + rng.int(Math.max(1, src.length - n - 3)), src.length - n);
              const dstAt = Math.min(da + rng.int(Math.max(1, dst.length - n - 3)), dst.length - n);
              const want = reference(dst, dstAt, src, srcAt, n);
              copyRange(dst, dstAt, src, srcAt, n);
              if (!bytesSame(dst, want)) expect.fail(`sv ${sv} dv ${dv} n ${n} srcAt ${srcAt} dstAt ${dstAt}`);
            }
          }
        }
      }
    }
  });

  it('copies up to the very end of buffers whose size is not a multiple of 4', () => {
    const rng = new Prng(11);
    for (let size = 16; size < 40; size++) {
      for (let srcAt = 0; srcAt < 4; srcAt++) {
        for (let dstAt = 0; dstAt < 4; dstAt++) {
          const src = source(rng, size, 0);
          const dst = source(rng, size + 3, 0);
          const n = size - srcAt;
          const want = reference(dst, dstAt, src, srcAt, n);
          copyRange(dst, dstAt, src, srcAt, n);
          expect(bytesSame(dst, want)).toBe(true);
        }
      }
    }
  });

  it('copies between unregistered buffers, large ranges and within one buffer like set()', () => {
    const rng = new Prng(3);
    const plain = source(rng, 9000, 1, true);
    const words = source(rng, 9000, 2);
    for (const [dst, src] of [[plain, words], [words, plain], [words, words], [plain, plain]] as const) {
      for (const n of [0, 5, 100, 1500, 5000]) {
        const want = reference(dst, 3, src, 17, n);
        copyRange(dst, 3, src, 17, n);
        expect(bytesSame(dst, want)).toBe(true);
      }
    }
  });

  it('rejects ranges outside either array without writing', () => {
    const src = wordBytes(64);
    const dst = withWordView(new Uint8Array(64));
    src.fill(9);
    expect(() => copyRange(dst, 0, src, 60, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, 60, src, 0, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, -1, src, 0, 8)).toThrow(RangeError);
    expect(() => copyRange(dst, 0, src, 0, -1)).toThrow(RangeError);
    expect(() => copyRange(dst, 0, src, Number.NaN, 4)).toThrow(RangeError);
    expect(dst.every((b) => b === 0)).toBe(true);
  });
});

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
