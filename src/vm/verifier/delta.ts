/**
 * A number that is a copy plus a constant, modulo 2^64: `r3 = r0; r3 += -1399; if r3 < -1401`
 * (clang's form of `end + 2 > 1400`, receive_symbol). A scalar may carry `delta` = {id, k}: it
 * equals val(id) + k mod 2^64 (RFC 9669 §4.1: ALU64 add and sub wrap), so a comparison that
 * bounds it bounds every copy of id by the same interval shifted back by k, which may wrap
 * around 2^64: then the copies keep whichever of the two pieces their own range meets (the Linux
 * verifier's linked registers with a delta, for intervals that cross zero as well).
 *
 * Sound because copies sharing an id are never written in place, and forgetting an id drops
 * every delta naming it (sizes.ts' dropSum).
 */
import { ALU_ADD, ALU_SUB } from '../isa.js';
import { isConst, scalarMeet, scalarU, type Scalar } from './scalar.js';
import { mapId } from './pass.js';
import type { ScalarValue, State, SumOf, Value } from './state.js';

const M = 1n << 64n;
const MAX = M - 1n;

/** `d += c` / `d -= c` on 64 bits with a constant c: d's link to a copy, moved by c. */
export function stepDelta(d: Value, code: number, c: Scalar): SumOf | undefined {
  if (d.k !== 'scalar' || d.tainted || !isConst(c) || (code !== ALU_ADD && code !== ALU_SUB)) return undefined;
  const base = d.id !== 0 ? { id: d.id, k: 0n } : d.delta;
  if (base === undefined) return undefined;
  const k = code === ALU_ADD ? base.k + c.umin : base.k - c.umin;
  return { id: base.id, k: ((k % M) + M) % M };
}

/** x's range met with the circular interval [lo, hi] (lo > hi: it wraps), or x's when both pieces meet it. */
function meetCircular(x: Scalar, lo: bigint, hi: bigint): Scalar | undefined {
  if (lo <= hi) {
    const r = scalarU(lo, hi);
    return r ? scalarMeet(x, r) : undefined;
  }
  const top = x.umax >= lo ? scalarU(lo, MAX) : undefined;
  const bottom = x.umin <= hi ? scalarU(0n, hi) : undefined;
  if (top && bottom) return x;
  const piece = top ?? bottom;
  return piece ? scalarMeet(x, piece) : undefined;
}

/** v (with delta {id, k}) was refined to s: the copies of id lie in s - k (mod 2^64). */
export function refineLinked(st: State, v: ScalarValue, s: Scalar): void {
  const d = v.delta;
  if (d === undefined || s.umin === 0n && s.umax === MAX) return;
  const lo = (((s.umin - d.k) % M) + M) % M;
  const hi = (((s.umax - d.k) % M) + M) % M;
  let len: Scalar | undefined;
  mapId(st, (x) => x.k === 'scalar' && x.id === d.id, (x) => {
    const c = x as ScalarValue;
    const m = meetCircular(c.s, lo, hi);
    // An empty meet would make this side impossible; keeping the range is the sound fallback.
    if (m && c.isLen) len = m;
    return m ? { ...c, s: m } : c;
  });
  // A copy of the context length bounds the length itself (as branch.ts does for the length).
  if (len) st.ctxLen = scalarMeet(st.ctxLen, len) ?? st.ctxLen;
}
