/**
 * Integer comparisons that stay within V8's small integers (up to 2^31 − 1 on x64 Node). Code
 * that runs in V8's baseline tier boxes every fractional or larger intermediate into a fresh
 * HeapNumber (issue 3: the hot path allocates nothing per packet), so a test like
 * `elapsed < 4 * (consumed / window) * rtt` allocates on each call; these do not.
 */

/** The right shift that leaves `x` (a non-negative integer below 2^31) under 2^bits. */
function shiftUnder(x: number, bits: number): number {
  const width = 32 - Math.clz32(x);
  return width > bits ? width - bits : 0;
}

/** Below this, every argument of productLess is shifted, not compared as a double. */
const SMALL = 0x40000000;

/**
 * Whether a·b < c·d, for non-negative integers (callers use it for heuristics). Each factor
 * keeps its top 15 bits and the products' shifts are compared: exact while all four are below
 * 2^15, otherwise off by at most about 2^-12 of the products, and no intermediate reaches 2^31.
 * Arguments of 2^30 or more are compared as doubles.
 */
export function productLess(a: number, b: number, c: number, d: number): boolean {
  if (a >= SMALL || b >= SMALL || c >= SMALL || d >= SMALL) return a * b < c * d;
  if (a === 0 || b === 0) return c > 0 && d > 0;
  if (c === 0 || d === 0) return false;
  const sa = shiftUnder(a, 15);
  const sb = shiftUnder(b, 15);
  const sc = shiftUnder(c, 15);
  const sd = shiftUnder(d, 15);
  // Each product is below 2^30; left·2^k against right. The side shifted further has a product
  // of at least 2^14 (one factor kept 15 bits, the other is at least 1), so flooring the other
  // side by k costs under 2^-14 of it. k is within ±30 (shifts of at most 15 each).
  const left = (a >> sa) * (b >> sb);
  const right = (c >> sc) * (d >> sd);
  const k = sa + sb - sc - sd;
  if (k > 0) return left < right >> k;
  if (k < 0) return left >> -k < right;
  return left < right;
}
