import { describe, expect, it } from 'vitest';
import { productLess } from '../../../src/quic/small-int-math.js';
import { prng } from '../connection/harness.js';

describe('productLess', () => {
  it('is exact for small factors', () => {
    expect(productLess(3, 4, 2, 6)).toBe(false);
    expect(productLess(3, 4, 13, 1)).toBe(true);
    expect(productLess(0, 9, 0, 9)).toBe(false);
    expect(productLess(0, 9, 1, 1)).toBe(true);
    expect(productLess(32767, 16383, 32767, 16384)).toBe(true);
  });

  it('agrees with the exact products unless they are within 2^-11 of each other', () => {
    const rnd = prng(7);
    let checked = 0;
    for (let i = 0; i < 20000; i++) {
      // Window-sized a and c (bytes, up to 2^30) and time-sized b and d (µs, up to 2^30).
      const big = (): number => Math.floor(rnd() * 2 ** Math.floor(rnd() * 30));
      const [a, b, c, d] = [big(), big(), big(), big()];
      const l = a * b;
      const r = c * d;
      if (Math.abs(l - r) <= Math.max(l, r) / 2048) continue;
      expect(productLess(a, b, c, d), `${a}·${b} < ${c}·${d}`).toBe(l < r);
      checked++;
    }
    expect(checked).toBeGreaterThan(15000);
  });

  it('compares factors of 2^30 and beyond as doubles', () => {
    expect(productLess(2 ** 40, 3, 2 ** 41, 1)).toBe(false);
    expect(productLess(2 ** 30, 1, 2 ** 30, 2)).toBe(true);
  });
});
