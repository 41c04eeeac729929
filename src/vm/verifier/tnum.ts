/**
 * Tristate numbers ("tnums", the Linux verifier's known-bits domain): `value` holds the bits
 * known to be 1, `mask` the unknown bits; a bit set in both never happens. Every operation
 * over-approximates the set of 64-bit values the operands stand for.
 */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64 = (1n << 64n) - 1n;

export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };

export function tnumConst(v: bigint): Tnum {
  return { value: v & U64, mask: 0n };
}

/** Number of significant bits of a non-negative value below 2^64. */
function bitLength(x: bigint): number {
  // A comparison first: most values fit 32 bits, and a shift would build a BigInt.
  if (x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  return 64 - Math.clz32(Number(x >> 32n));
}

/** The smallest tnum containing every value of [lo, hi] (unsigned). */
export function tnumRange(lo: bigint, hi: bigint): Tnum {
  const chi = lo ^ hi;
  if (chi === 0n) return tnumConst(lo);
  const bits = BigInt(bitLength(chi));
  if (bits >= 64n) return TNUM_UNKNOWN;
  const delta = (1n << bits) - 1n;
  return { value: lo & (U64 ^ delta), mask: delta };
}

export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64;
  const sv = (a.value + b.value) & U64;
  const sigma = (sm + sv) & U64;
  const chi = sigma ^ sv;
  const mu = (chi | a.mask | b.mask) & U64;
  return { value: sv & (U64 ^ mu), mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64;
  const alpha = (dv + a.mask) & U64;
  const beta = (dv - b.mask) & U64;
  const chi = alpha ^ beta;
  const mu = (chi | a.mask | b.mask) & U64;
  return { value: dv & (U64 ^ mu), mask: mu };
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & (U64 ^ v) };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & (U64 ^ v) };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & (U64 ^ mu), mask: mu };
}

export function tnumLsh(a: Tnum, s: number): Tnum {
  return { value: (a.value << BigInt(s)) & U64, mask: (a.mask << BigInt(s)) & U64 };
}

export function tnumRsh(a: Tnum, s: number): Tnum {
  return { value: a.value >> BigInt(s), mask: a.mask >> BigInt(s) };
}

/** Keeps the low `bits` bits (zero-extension of a 32-bit result). */
export function tnumTrunc(a: Tnum, bits: number): Tnum {
  const m = (1n << BigInt(bits)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** Every value either operand stands for. */
export function tnumJoin(a: Tnum, b: Tnum): Tnum {
  if (a === b) return a;
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & (U64 ^ mu), mask: mu };
}

/** Values both stand for; undefined when the two disagree on a known bit (no value). */
export function tnumMeet(a: Tnum, b: Tnum): Tnum | undefined {
  // Meeting with "anything" is the hot case (range refinements): nothing to compute.
  if (a === b || (b.mask === U64 && b.value === 0n)) return a;
  if (a.mask === U64 && a.value === 0n) return b;
  // Complements as `U64 ^ x` (masks lie in [0, 2^64)): `~x` is a negative BigInt, slower to build.
  const mu = a.mask & b.mask;
  if (((a.value ^ b.value) & (U64 ^ (a.mask | b.mask))) !== 0n) return undefined;
  const value = (a.value | b.value) & (U64 ^ mu);
  if (value === a.value && mu === a.mask) return a;
  return { value, mask: mu };
}

export function tnumEq(a: Tnum, b: Tnum): boolean {
  return a.value === b.value && a.mask === b.mask;
}
