/**
 * The numeric domain of one 64-bit register: a signed range, an unsigned range and known bits
 * (the Linux verifier's `smin/smax/umin/umax` + tnum), kept consistent by `normalize`. All
 * arithmetic is RFC 9669 §4.1's: wrapping 64-bit (ALU64) or 32-bit zero-extended (ALU).
 * Ranges are bigint: exact 64-bit semantics matter more here than speed (a 4,000-instruction
 * program still verifies in a few milliseconds).
 */
import {
  TNUM_UNKNOWN, U64, tnumAdd, tnumAnd, tnumConst, tnumEq, tnumIsConst, tnumJoin, tnumLsh, tnumMeet, tnumOr,
  tnumRange, tnumRsh, tnumSub, tnumTrunc, tnumXor, type Tnum,
} from './tnum.js';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32 = (1n << 32n) - 1n;
const TWO64 = 1n << 64n;

export interface Scalar {
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly t: Tnum;
}

export const SCALAR_UNKNOWN: Scalar = { smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64, t: TNUM_UNKNOWN };

export function toSigned(u: bigint): bigint {
  return u > S64_MAX ? u - TWO64 : u;
}

export function toUnsigned(s: bigint): bigint {
  return s < 0n ? s + TWO64 : s;
}

export function scalarConst(v: bigint): Scalar {
  const u = v & U64;
  const s = toSigned(u);
  return { smin: s, smax: s, umin: u, umax: u, t: tnumConst(u) };
}

export function scalarU(lo: bigint, hi: bigint): Scalar | undefined {
  return normalize({ smin: S64_MIN, smax: S64_MAX, umin: lo, umax: hi, t: TNUM_UNKNOWN });
}

export function isConst(s: Scalar): boolean {
  return s.umin === s.umax;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * Tightens each component from the others (the kernel's reg_bounds_sync); undefined when they
 * contradict each other, i.e. no value is possible (an infeasible branch).
 */
export function normalize(x: Scalar): Scalar | undefined {
  if (x.t.mask === 0n && x.umin === x.t.value && x.umax === x.t.value && x.smin === x.smax && x.smin === toSigned(x.umin)) return x;
  if (alreadyCanonical(x)) return x;
  let { smin, smax, umin, umax } = x;
  let t = x.t;
  // Two rounds reach what the kernel's three-step sync reaches; the second only when the first moved something.
  // Rounds until nothing moves (at most 3): results must be canonical, or the fixpoint's
  // inclusion test would see a change where the join sees none.
  for (let round = 0; round < 3; round++) {
    const s0 = smin;
    const s1 = smax;
    const u0 = umin;
    const u1 = umax;
    const t0 = t;
    // Known bits bound the unsigned range.
    if (t.value > umin) umin = t.value;
    const top = t.value | t.mask;
    if (top < umax) umax = top;
    // The signed range, when it does not cross zero, is an unsigned range too.
    if (smin >= 0n) {
      if (smin > umin) umin = smin;
      if (smax < umax) umax = smax;
    } else if (smax < 0n) {
      umin = max(umin, toUnsigned(smin));
      umax = min(umax, toUnsigned(smax));
    }
    if (umin > umax) return undefined;
    // And the other way round.
    if (umax <= S64_MAX) {
      if (umin > smin) smin = umin;
      if (umax < smax) smax = umax;
    } else if (umin > S64_MAX) {
      smin = max(smin, toSigned(umin));
      smax = min(smax, toSigned(umax));
    }
    if (smin > smax) return undefined;
    if (round > 0 && umin === u0 && umax === u1) {
      // The range did not move this round: its known bits were already met.
    } else if (t.mask !== 0n || umin !== umax) {
      const mt = tnumMeet(t, tnumRange(umin, umax));
      if (!mt) return undefined;
      t = mt;
      // Known low bits (a stride): move the bounds to the nearest values that have them.
      if (t.mask !== 0n && (t.mask & 1n) === 0n) {
        let k = 0n;
        while (((t.mask >> k) & 1n) === 0n) k++;
        const m = (1n << k) - 1n;
        const low = t.value & m;
        umin = umin + ((low - umin) & m);
        umax = umax - ((umax - low) & m);
        if (umin > umax) return undefined;
      }
    } else if (t.value !== umin) return undefined;
    if (smin === s0 && smax === s1 && umin === u0 && umax === u1 && t === t0) break;
  }
  // Already canonical: the same object (no garbage, and identity tests downstream hold).
  if (smin === x.smin && smax === x.smax && umin === x.umin && umax === x.umax && t === x.t) return x;
  return { smin, smax, umin, umax, t };
}

/**
 * The two shapes most results already have, recognised without building anything (normalize
 * runs after every ALU operation and branch, and its garbage was a good part of the verifier's
 * time): nothing known, or a range within [0, 2^63) whose signed and unsigned bounds coincide
 * and whose known bits are exactly those the range implies with no stride (lowest bit unknown).
 * Each is a fixpoint of the rounds below, which would return `x` itself, so the answer is the same.
 */
function alreadyCanonical(x: Scalar): boolean {
  const { smin, smax, umin, umax, t } = x;
  if (t.mask === U64) return t.value === 0n && umin === 0n && umax === U64 && smin === S64_MIN && smax === S64_MAX;
  // umin > umax is a contradiction, for the rounds to report.
  if ((t.mask & 1n) === 0n || smin !== umin || smax !== umax || umin < t.value || umin > umax || umax > S64_MAX) return false;
  if (umax > (t.value | t.mask)) return false;
  // tnumMeet(t, tnumRange(umin, umax)) leaves t as it is: its unknown bits lie within the bits
  // where umin and umax differ, and above those it agrees with them.
  const chi = umin ^ umax;
  if (chi === 0n) return false;
  const high = U64 ^ ((1n << BigInt(64 - bitLengthZeros(chi))) - 1n);
  return (t.mask & high) === 0n && (t.value & high) === (umin & high);
}

/** 64 minus the number of significant bits of a non-zero value below 2^64. */
function bitLengthZeros(x: bigint): number {
  if (x <= 0xffffffffn) return 32 + Math.clz32(Number(x));
  return Math.clz32(Number(x >> 32n));
}

function norm(x: Scalar): Scalar {
  return normalize(x) ?? SCALAR_UNKNOWN;
}

export function scalarJoin(a: Scalar, b: Scalar): Scalar {
  if (a === b) return a;
  return {
    smin: min(a.smin, b.smin), smax: max(a.smax, b.smax), umin: min(a.umin, b.umin), umax: max(a.umax, b.umax),
    t: tnumJoin(a.t, b.t),
  };
}

/** Values both stand for; undefined when none. */
export function scalarMeet(a: Scalar, b: Scalar): Scalar | undefined {
  const t = tnumMeet(a.t, b.t);
  if (!t) return undefined;
  return normalize({ smin: max(a.smin, b.smin), smax: min(a.smax, b.smax), umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), t });
}

/**
 * Widening at loop heads: a bound that grew jumps to the next threshold (the constants the
 * program compares with, PREVAIL's "widening with thresholds"), or to the end of the type.
 */
export function scalarWiden(old: Scalar, next: Scalar, thresholds: readonly bigint[]): Scalar {
  const up = (v: bigint, limit: bigint): bigint => {
    for (const th of thresholds) if (th >= v && th <= limit) return th;
    return limit;
  };
  const down = (v: bigint, limit: bigint): bigint => {
    for (let i = thresholds.length - 1; i >= 0; i--) if (thresholds[i]! <= v && thresholds[i]! >= limit) return thresholds[i]!;
    return limit;
  };
  const j = scalarJoin(old, next);
  return norm({
    smin: j.smin < old.smin ? down(j.smin, S64_MIN) : j.smin,
    smax: j.smax > old.smax ? up(j.smax, S64_MAX) : j.smax,
    umin: j.umin < old.umin ? down(j.umin, 0n) : j.umin,
    umax: j.umax > old.umax ? up(j.umax, U64) : j.umax,
    // Known bits that changed are widened too, all but the lowest ones (a stride, i += 8,
    // which ends loops on `i != N`): kept whole, unknown high bits would cap the bounds one more
    // bit per iteration, up to 64 iterations of the loop for one value.
    t: tnumEq(j.t, old.t) ? j.t : lowKnownBits(j.t),
  });
}

/** Only the known bits below the lowest unknown one. */
function lowKnownBits(t: Tnum): Tnum {
  if (t.mask === 0n) return t;
  let k = 0n;
  while (((t.mask >> k) & 1n) === 0n) k++;
  const low = (1n << k) - 1n;
  return { value: t.value & low, mask: U64 & ~low };
}

export function scalarEq(a: Scalar, b: Scalar): boolean {
  return a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax && tnumEq(a.t, b.t);
}

/** a ⊑ b: every value of a is a value of b. */
export function scalarLeq(a: Scalar, b: Scalar): boolean {
  return a.smin >= b.smin && a.smax <= b.smax && a.umin >= b.umin && a.umax <= b.umax
    && (a.t.mask & ~b.t.mask) === 0n && ((a.t.value ^ b.t.value) & ~b.t.mask) === 0n;
}

/** The low 32 bits as a zero-extended value. */
export function low32(a: Scalar): Scalar {
  if (a.umax <= U32) return a;
  return norm({ smin: 0n, smax: U32, umin: 0n, umax: U32, t: tnumTrunc(a.t, 32) });
}

/** Range of an ALU (32-bit) result computed exactly in unbounded arithmetic as [lo, hi]. */
function fit32(lo: bigint, hi: bigint, t: Tnum): Scalar {
  if (lo >= 0n && hi <= U32) return norm({ smin: lo, smax: hi, umin: lo, umax: hi, t: tnumTrunc(t, 32) });
  return norm({ smin: 0n, smax: U32, umin: 0n, umax: U32, t: tnumTrunc(t, 32) });
}

/** Range of an ALU64 result from exact unsigned and signed ranges (each kept if it did not wrap). */
function fit64(ulo: bigint, uhi: bigint, slo: bigint, shi: bigint, t: Tnum): Scalar {
  const uok = ulo >= 0n && uhi <= U64;
  const sok = slo >= S64_MIN && shi <= S64_MAX;
  return norm({
    smin: sok ? slo : S64_MIN, smax: sok ? shi : S64_MAX,
    umin: uok ? ulo : 0n, umax: uok ? uhi : U64, t,
  });
}

/** fit32 or fit64 by the instruction's class; the signed range defaults to the unsigned one. */
function fitW(is32: boolean, lo: bigint, hi: bigint, t: Tnum, slo = lo, shi = hi): Scalar {
  return is32 ? fit32(lo, hi, t) : fit64(lo, hi, slo, shi, t);
}

function truncW(is32: boolean, t: Tnum): Tnum {
  return is32 ? tnumTrunc(t, 32) : t;
}

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'or' | 'and' | 'lsh' | 'rsh' | 'arsh' | 'xor' | 'mov';

/**
 * dst op src as RFC 9669 §4.1 defines it (unsigned div/mod; x/0 = 0 and x%0 = x, shifts masked
 * to the width). `is32`: the ALU class, operating on low halves and zero-extending.
 */
export function scalarAlu(op: AluOp, d: Scalar, s: Scalar, is32: boolean): Scalar {
  const w = is32 ? 32n : 64n;
  if (is32) {
    d = low32(d);
    s = low32(s);
  }
  // fitW/truncW rather than closures over is32: this runs for every ALU instruction analysed.
  switch (op) {
    case 'mov':
      return s;
    case 'add':
      return fitW(is32, d.umin + s.umin, d.umax + s.umax, truncW(is32, tnumAdd(d.t, s.t)), d.smin + s.smin, d.smax + s.smax);
    case 'sub': {
      const t = truncW(is32, tnumSub(d.t, s.t));
      if (is32) return fit32(d.umin - s.umax, d.umax - s.umin, t);
      return fit64(d.umin - s.umax, d.umax - s.umin, d.smin - s.smax, d.smax - s.smin, t);
    }
    case 'mul': {
      if (d.umax <= U32 && s.umax <= U32 || is32) return fitW(is32, d.umin * s.umin, d.umax * s.umax, TNUM_UNKNOWN);
      return SCALAR_UNKNOWN;
    }
    case 'div':
      // x / 0 = 0: a divisor range containing 0 adds 0 to the result.
      if (s.umax === 0n) return scalarConst(0n);
      return fitW(is32, s.umin === 0n ? 0n : d.umin / s.umax, d.umax / (s.umin === 0n ? 1n : s.umin), TNUM_UNKNOWN);
    case 'mod':
      if (s.umax === 0n) return d;
      if (s.umin === 0n) return fitW(is32, 0n, d.umax, TNUM_UNKNOWN);
      return fitW(is32, 0n, min(d.umax, s.umax - 1n), TNUM_UNKNOWN);
    case 'and': {
      const t = tnumAnd(d.t, s.t);
      return norm({ smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: min(d.umax, s.umax), t: truncW(is32, t) });
    }
    case 'or': {
      const t = truncW(is32, tnumOr(d.t, s.t));
      return norm({ smin: S64_MIN, smax: S64_MAX, umin: max(d.umin, s.umin), umax: is32 ? U32 : U64, t });
    }
    case 'xor':
      return norm({ smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: is32 ? U32 : U64, t: truncW(is32, tnumXor(d.t, s.t)) });
    case 'lsh': {
      if (!isConst(s)) return is32 ? fit32(0n, U32 + 1n, TNUM_UNKNOWN) : SCALAR_UNKNOWN;
      const sh = Number(s.umin & (w - 1n));
      const t = truncW(is32, tnumLsh(d.t, sh));
      const hi = d.umax << BigInt(sh);
      return fitW(is32, d.umin << BigInt(sh), hi, t);
    }
    case 'rsh': {
      if (!isConst(s)) return fitW(is32, 0n, d.umax, TNUM_UNKNOWN);
      const sh = Number(s.umin & (w - 1n));
      return fitW(is32, d.umin >> BigInt(sh), d.umax >> BigInt(sh), tnumRsh(d.t, sh));
    }
    case 'arsh': {
      if (is32 || !isConst(s)) return is32 ? fit32(0n, U32 + 1n, TNUM_UNKNOWN) : SCALAR_UNKNOWN;
      const sh = BigInt(Number(s.umin & 63n));
      return norm({ smin: d.smin >> sh, smax: d.smax >> sh, umin: 0n, umax: U64, t: TNUM_UNKNOWN });
    }
  }
}

export function scalarNeg(d: Scalar, is32: boolean): Scalar {
  return scalarAlu('sub', scalarConst(0n), d, is32);
}

/** Sign extension of the low `bits` bits (MOVSX, ldxs). */
export function scalarSext(d: Scalar, bits: number): Scalar {
  const b = BigInt(bits);
  const half = 1n << (b - 1n);
  if (d.umax < half) return d; // non-negative and below the sign bit: unchanged
  return norm({ smin: -half, smax: half - 1n, umin: 0n, umax: U64, t: TNUM_UNKNOWN });
}

/** Range of an unsigned value of `bytes` bytes loaded from memory. */
export function scalarOfWidth(bytes: number): Scalar {
  if (bytes === 8) return SCALAR_UNKNOWN;
  const hi = (1n << BigInt(bytes * 8)) - 1n;
  return { smin: 0n, smax: hi, umin: 0n, umax: hi, t: tnumRange(0n, hi) };
}

export function scalarTruncBytes(d: Scalar, bytes: number): Scalar {
  if (bytes === 8) return d;
  const hi = (1n << BigInt(bytes * 8)) - 1n;
  if (d.umax <= hi) return d;
  return norm({ smin: 0n, smax: hi, umin: 0n, umax: hi, t: tnumTrunc(d.t, bytes * 8) });
}

/** Decimal up to 2^32, hexadecimal above (addresses and masks read better that way). */
export function formatNum(v: bigint): string {
  if (v === U64) return 'max';
  if (v === S64_MAX) return 'smax';
  if (v === S64_MIN) return 'smin';
  return v > 0xffffffffn ? `0x${v.toString(16)}` : v < -0xffffffffn ? `-0x${(-v).toString(16)}` : `${v}`;
}

export function formatScalar(s: Scalar): string {
  if (isConst(s)) return s.smin < 0n && s.smin > -4096n ? `${s.smin}` : formatNum(s.umin);
  const parts: string[] = [];
  if (s.umin !== 0n || s.umax !== U64) parts.push(`u[${formatNum(s.umin)},${formatNum(s.umax)}]`);
  if ((s.smin !== S64_MIN || s.smax !== S64_MAX) && !(s.smin === s.umin && s.smax === s.umax)) {
    parts.push(`s[${formatNum(s.smin)},${formatNum(s.smax)}]`);
  }
  if (!tnumIsConst(s.t) && s.t.mask !== U64 && parts.length === 0) parts.push(`bits 0x${s.t.value.toString(16)}/0x${s.t.mask.toString(16)}`);
  return parts.length ? parts.join(' ') : 'any';
}
