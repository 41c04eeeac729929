/**
 * Variable-length integers, RFC 9000 §16.
 *
 * The two most significant bits of the first byte give the length (1, 2, 4 or 8 bytes); the
 * remaining 6, 14, 30 or 62 bits hold the value in network byte order. Values are `number` on
 * the hot path: every value below 2^53 decodes exactly without BigInt. The `...Big` variants
 * cover the full 62-bit range for the few places that need it (unknown transport parameter ids).
 */

import { TransportErrorCode, QuicError, internalError } from './errors.js';

/** Largest value a varint can hold: 2^62 - 1 (RFC 9000 §16). */
export const VARINT_MAX = (1n << 62n) - 1n;

/** 2^62 as a number (exact); every encodable number is strictly below it. */
export const VARINT_LIMIT_NUMBER = 4611686018427387904;

/** Largest varint that decodes exactly into a `number`. */
export const MAX_SAFE_VARINT = Number.MAX_SAFE_INTEGER;

export type VarintLength = 1 | 2 | 4 | 8;

/** The two-bit length prefix for each encoded length, already shifted into place. */
const LENGTH_PREFIX: Record<VarintLength, number> = { 1: 0x00, 2: 0x40, 4: 0x80, 8: 0xc0 };

/** Length of an encoded varint from its first byte (RFC 9000 §16, Table 4). */
export function varintLengthFromFirstByte(firstByte: number): VarintLength {
  return (1 << (firstByte >> 6)) as VarintLength;
}

/** Minimal encoded length of `value`; throws INTERNAL_ERROR when it cannot be encoded. */
export function varintLength(value: number): VarintLength {
  if (!(value >= 0 && value < VARINT_LIMIT_NUMBER) || !Number.isInteger(value)) {
    throw internalError(`value ${value} cannot be encoded as a varint`);
  }
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** Minimal encoded length of a bigint `value`; throws INTERNAL_ERROR when out of range. */
export function varintLengthBig(value: bigint): VarintLength {
  if (value < 0n || value > VARINT_MAX) throw internalError(`value ${value} cannot be encoded as a varint`);
  if (value < 0x40n) return 1;
  if (value < 0x4000n) return 2;
  if (value < 0x40000000n) return 4;
  return 8;
}

/**
 * Writes `value` at `out[offset]` using `length` bytes (the minimal length when omitted) and
 * returns the offset after it. A forced length lets a caller reserve room for a value patched
 * later (RFC 9000 §16 allows any length that fits the value). `limit` bounds the write (the
 * buffer length by default). Does not allocate.
 */
export function encodeVarint(
  value: number,
  out: Uint8Array,
  offset: number,
  length?: VarintLength,
  limit: number = out.length,
): number {
  const minimal = varintLength(value);
  const n = length ?? minimal;
  if (n < minimal) throw internalError(`value ${value} does not fit a ${n}-byte varint`);
  if (offset < 0 || offset + n > limit || limit > out.length) throw internalError('varint does not fit the output buffer');
  switch (n) {
    case 1:
      out[offset] = value;
      break;
    case 2:
      out[offset] = 0x40 | (value >>> 8);
      out[offset + 1] = value & 0xff;
      break;
    case 4:
      out[offset] = 0x80 | (value >>> 24);
      out[offset + 1] = (value >>> 16) & 0xff;
      out[offset + 2] = (value >>> 8) & 0xff;
      out[offset + 3] = value & 0xff;
      break;
    case 8: {
      const hi = Math.floor(value / 0x100000000);
      const lo = value >>> 0;
      out[offset] = 0xc0 | (hi >>> 24);
      out[offset + 1] = (hi >>> 16) & 0xff;
      out[offset + 2] = (hi >>> 8) & 0xff;
      out[offset + 3] = hi & 0xff;
      out[offset + 4] = lo >>> 24;
      out[offset + 5] = (lo >>> 16) & 0xff;
      out[offset + 6] = (lo >>> 8) & 0xff;
      out[offset + 7] = lo & 0xff;
      break;
    }
  }
  return offset + n;
}

/** BigInt variant of `encodeVarint`, for the full 62-bit range. */
export function encodeVarintBig(
  value: bigint,
  out: Uint8Array,
  offset: number,
  length?: VarintLength,
  limit: number = out.length,
): number {
  const minimal = varintLengthBig(value);
  const n = length ?? minimal;
  if (n < minimal) throw internalError(`value ${value} does not fit a ${n}-byte varint`);
  if (offset < 0 || offset + n > limit || limit > out.length) throw internalError('varint does not fit the output buffer');
  let v = value;
  for (let i = n - 1; i > 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[offset] = Number(v) | LENGTH_PREFIX[n];
  return offset + n;
}

/**
 * Reads the varint at `buf[offset]`; `end` bounds the read. The length is
 * `varintLengthFromFirstByte(buf[offset])`. Throws FRAME_ENCODING_ERROR when the encoding is
 * truncated, or when the value exceeds 2^53 - 1 (no `number` holds it exactly: use
 * `decodeVarintBig`).
 */
export function decodeVarint(buf: Uint8Array, offset: number, end: number = buf.length): number {
  if (offset < 0 || offset >= end || end > buf.length) throw truncated();
  const n = varintLengthFromFirstByte(buf[offset]!);
  if (offset + n > end) throw truncated();
  const v = readVarintUnchecked(buf, offset, n, false);
  if (v < 0) throw tooLarge();
  return v;
}

/** BigInt variant of `decodeVarint`: any value up to 2^62 - 1. */
export function decodeVarintBig(buf: Uint8Array, offset: number, end: number = buf.length): bigint {
  if (offset < 0 || offset >= end || end > buf.length) throw truncated();
  const n = varintLengthFromFirstByte(buf[offset]!);
  if (offset + n > end) throw truncated();
  let v = BigInt(buf[offset]! & 0x3f);
  for (let i = 1; i < n; i++) v = (v << 8n) | BigInt(buf[offset + i]!);
  return v;
}

/**
 * Decodes an `n`-byte varint whose bytes are known to be in bounds. For 8-byte values above
 * 2^53 - 1 it returns -1, or `Number.MAX_SAFE_INTEGER` when `clamp` is set.
 * Internal to the wire layer (the Reader's hot path).
 */
export function readVarintUnchecked(buf: Uint8Array, p: number, n: VarintLength, clamp: boolean): number {
  const b0 = buf[p]! & 0x3f;
  switch (n) {
    case 1:
      return b0;
    case 2:
      return (b0 << 8) | buf[p + 1]!;
    case 4:
      return ((b0 << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    case 8: {
      const hi = (b0 << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
      // 2^53 - 1 has a high word of 0x1fffff.
      if (hi > 0x1fffff) return clamp ? MAX_SAFE_VARINT : -1;
      const lo = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
      return hi * 0x100000000 + lo;
    }
  }
}

function truncated(): QuicError {
  return new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, 'truncated varint');
}

function tooLarge(): QuicError {
  return new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, 'varint exceeds 2^53 - 1');
}
