/**
 * Byte swaps (RFC 9669 §5.2: be16/be32/be64 on a little-endian host, bswap16/32/64): the result's
 * bytes are the operand's low `bytes` bytes in reverse order, so its known bits are the operand's
 * known bits moved the same way, exactly. clang reads a 2-byte big-endian length as
 * `ldxh; r <<= 48; be64 r`: the swap of a value whose low 6 bytes are 0 is below 2^16.
 */
import { U64, type Tnum } from './tnum.js';
import { S64_MAX, S64_MIN, SCALAR_UNKNOWN, normalize, type Scalar } from './scalar.js';

function swapBits(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The known bits of the swap of the low `bytes` bytes of a value with known bits t. */
export function tnumSwapBytes(t: Tnum, bytes: number): Tnum {
  return { value: swapBits(t.value, bytes), mask: swapBits(t.mask, bytes) };
}

/** The swap of d's low `bytes` bytes (2, 4 or 8), zero-extended to 64 bits. */
export function scalarSwapBytes(d: Scalar, bytes: number): Scalar {
  const hi = bytes === 8 ? U64 : (1n << BigInt(bytes * 8)) - 1n;
  const t = tnumSwapBytes(d.t, bytes);
  // normalize derives the ranges from the known bits; it never fails on a range this wide.
  return normalize({ smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: hi, t }) ?? SCALAR_UNKNOWN;
}
