import { describe, expect, it } from 'vitest';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  VARINT_MAX,
  decodeVarint,
  decodeVarintBig,
  encodeVarint,
  encodeVarintBig,
  varintLength,
  varintLengthBig,
  varintLengthFromFirstByte,
} from '../../../src/quic/wire/varint.js';
import { expectQuicError, hex, toHex } from './helpers.js';
import { Prng } from './prng.js';

const FEE = TransportErrorCode.FRAME_ENCODING_ERROR;

describe('varint (RFC 9000 §16)', () => {
  // RFC 9000 Appendix A.1.
  it('decodes the RFC examples', () => {
    expect(decodeVarintBig(hex('c2197c5eff14e88c'), 0)).toBe(151288809941952652n);
    expect(decodeVarint(hex('9d7f3e7d'), 0)).toBe(494878333);
    expect(decodeVarint(hex('7bbd'), 0)).toBe(15293);
    expect(decodeVarint(hex('25'), 0)).toBe(37);
    expect(decodeVarint(hex('4025'), 0)).toBe(37);
  });

  it('encodes the RFC examples', () => {
    const out = new Uint8Array(8);
    expect(encodeVarintBig(151288809941952652n, out, 0)).toBe(8);
    expect(toHex(out)).toBe('c2197c5eff14e88c');
    expect(toHex(out.subarray(0, encodeVarint(494878333, out, 0)))).toBe('9d7f3e7d');
    expect(toHex(out.subarray(0, encodeVarint(15293, out, 0)))).toBe('7bbd');
    expect(toHex(out.subarray(0, encodeVarint(37, out, 0)))).toBe('25');
    expect(toHex(out.subarray(0, encodeVarint(37, out, 0, 2)))).toBe('4025');
  });

  it('refuses to decode 151288809941952652 as a number (above 2^53 - 1)', () => {
    expectQuicError(() => decodeVarint(hex('c2197c5eff14e88c'), 0), FEE);
  });

  it('chooses the minimal length at every boundary', () => {
    const cases: [number, number][] = [
      [0, 1], [63, 1], [64, 2], [16383, 2], [16384, 4], [0x3fffffff, 4], [0x40000000, 8],
      [Number.MAX_SAFE_INTEGER, 8], [2 ** 60, 8],
    ];
    for (const [v, n] of cases) expect(varintLength(v), `${v}`).toBe(n);
    expect(varintLengthBig(VARINT_MAX)).toBe(8);
    expect(varintLengthBig(63n)).toBe(1);
  });

  it('rejects values it cannot encode', () => {
    const code = TransportErrorCode.INTERNAL_ERROR;
    for (const v of [-1, 1.5, NaN, Infinity, 2 ** 62]) expectQuicError(() => varintLength(v), code);
    expectQuicError(() => varintLengthBig(VARINT_MAX + 1n), code);
    expectQuicError(() => varintLengthBig(-1n), code);
    expectQuicError(() => encodeVarint(64, new Uint8Array(8), 0, 1), code);
    expectQuicError(() => encodeVarint(16384, new Uint8Array(8), 0, 2), code);
    expectQuicError(() => encodeVarint(0x40000000, new Uint8Array(3), 0), code);
  });

  it('encodes forced lengths that round-trip', () => {
    const out = new Uint8Array(8);
    for (const n of [1, 2, 4, 8] as const) {
      expect(encodeVarint(5, out, 0, n)).toBe(n);
      expect(varintLengthFromFirstByte(out[0]!)).toBe(n);
      expect(decodeVarint(out, 0)).toBe(5);
    }
  });

  it('handles the extremes of each length', () => {
    const out = new Uint8Array(8);
    encodeVarintBig(VARINT_MAX, out, 0);
    expect(toHex(out)).toBe('ffffffffffffffff');
    expect(decodeVarintBig(out, 0)).toBe(VARINT_MAX);
    encodeVarint(Number.MAX_SAFE_INTEGER, out, 0);
    expect(toHex(out)).toBe('c01fffffffffffff');
    expect(decodeVarint(out, 0)).toBe(Number.MAX_SAFE_INTEGER);
    expectQuicError(() => decodeVarint(hex('c020000000000000'), 0), FEE);
    expect(decodeVarintBig(hex('c020000000000000'), 0)).toBe(2n ** 53n);
    encodeVarint(2 ** 60, out, 0);
    expect(decodeVarintBig(out, 0)).toBe(2n ** 60n);
  });

  it('throws FRAME_ENCODING_ERROR on every truncation', () => {
    const full = hex('c2197c5eff14e88c');
    for (let n = 0; n < full.length; n++) {
      expectQuicError(() => decodeVarintBig(full.subarray(0, n), 0), FEE);
      expectQuicError(() => decodeVarint(full, 0, n), FEE);
    }
  });

  it('round-trips random values, number and bigint paths agreeing', () => {
    const rng = new Prng(1);
    const out = new Uint8Array(8);
    for (let i = 0; i < 5000; i++) {
      const v = rng.varintValue();
      const end = encodeVarint(v, out, 0);
      expect(end).toBe(varintLength(v));
      expect(decodeVarint(out, 0, end)).toBe(v);
      expect(decodeVarintBig(out, 0, end)).toBe(BigInt(v));
      const out2 = new Uint8Array(8);
      expect(encodeVarintBig(BigInt(v), out2, 0)).toBe(end);
      expect(toHex(out2.subarray(0, end))).toBe(toHex(out.subarray(0, end)));
    }
  });
});
