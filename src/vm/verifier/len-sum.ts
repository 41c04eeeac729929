/**
 * `v + x` where v is bounded by the context length (`v <= len - k`, or v is the length) and x is
 * a number in [0, b]: as integers v + x <= len - (k - b), which holds while nothing wraps.
 * That keeps a buffer offset bounded after it grows by a helper's result (`used += 1 + n`
 * with n from picoquic_varint_encode in [0, 8]), which a constant step already keeps (alu.ts).
 */
import { S64_MAX } from './scalar.js';
import type { ScalarValue } from './state.js';

/** The slack of a + b (either order), or null when neither bounds the other's sum. */
export function sumSlack(a: ScalarValue, b: ScalarValue): bigint | null {
  return oneSide(a, b) ?? oneSide(b, a);
}

function oneSide(bounded: ScalarValue, other: ScalarValue): bigint | null {
  if (bounded.lenSlack === null && !bounded.isLen) return null;
  // The other addend is a number (not an address) that is non-negative as a signed value, and
  // the sum of the two upper bounds stays below 2^63: no wrap, so the integer bound holds.
  if (other.tainted || other.s.umax > S64_MAX || bounded.s.umax > S64_MAX) return null;
  if (bounded.s.umax + other.s.umax > S64_MAX) return null;
  const base = bounded.isLen ? 0n : bounded.lenSlack!;
  return base - other.s.umax;
}
