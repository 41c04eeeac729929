import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { expectQuicError, hex, toHex } from './helpers.js';

const FEE = TransportErrorCode.FRAME_ENCODING_ERROR;
const INTERNAL = TransportErrorCode.INTERNAL_ERROR;

describe('Reader', () => {
  it('reads big-endian integers and varints over a slice', () => {
    const buf = hex('ff 01 0203 040506 0708090a 0b0c0d0e0f101112 25 7bbd 9d7f3e7d c2197c5eff14e88c ee');
    const r = new Reader(buf, 1, buf.length - 1);
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(r.u24()).toBe(0x040506);
    expect(r.u32()).toBe(0x0708090a);
    expect(r.u64()).toBe(0x0b0c0d0e0f101112n);
    expect(r.varint()).toBe(37);
    expect(r.peekVarintLength()).toBe(2);
    expect(r.varint()).toBe(15293);
    expect(r.varint()).toBe(494878333);
    expect(r.varintBig()).toBe(151288809941952652n);
    expect(r.remaining).toBe(0);
    expectQuicError(() => r.u8(), FEE);
  });

  it('u32 is unsigned', () => {
    expect(new Reader(hex('ffffffff')).u32()).toBe(0xffffffff);
  });

  it('bytes() returns a view, not a copy', () => {
    const buf = hex('00112233');
    const r = new Reader(buf);
    r.skip(1);
    const view = r.bytes(2);
    expect(toHex(view)).toBe('1122');
    buf[1] = 0x99;
    expect(view[0]).toBe(0x99);
    expect(r.position).toBe(3);
    expect(r.bytes(0).length).toBe(0);
  });

  it('throws on every read past the end, without moving', () => {
    const r = new Reader(hex('4000'), 0, 1);
    expectQuicError(() => r.u16(), FEE);
    expectQuicError(() => r.varint(), FEE);
    expectQuicError(() => r.varintBig(), FEE);
    expectQuicError(() => r.varintClamped(), FEE);
    expectQuicError(() => r.bytes(2), FEE);
    expectQuicError(() => r.bytes(-1), FEE);
    expectQuicError(() => r.skip(2), FEE);
    expect(r.position).toBe(0);
    const empty = new Reader(new Uint8Array(0));
    for (const f of [() => empty.u8(), () => empty.u24(), () => empty.u32(), () => empty.u64(), () => empty.peekU8()]) {
      expectQuicError(f, FEE);
    }
  });

  it('uses its error code for malformed input', () => {
    const r = new Reader(hex('40'), 0, 1, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expectQuicError(() => r.varint(), TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(r.error('x').code).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });

  it('varint() refuses values above 2^53 - 1; varintClamped() saturates', () => {
    const big = hex('ffffffffffffffff');
    expectQuicError(() => new Reader(big).varint(), FEE);
    expect(new Reader(big).varintClamped()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new Reader(hex('c01fffffffffffff')).varint()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new Reader(hex('c01ffffffffffffe')).varintClamped()).toBe(Number.MAX_SAFE_INTEGER - 1);
  });

  it('reset re-points the reader; bad slices are rejected', () => {
    const r = new Reader(hex('01'));
    r.reset(hex('0203'), 1);
    expect(r.u8()).toBe(3);
    expectQuicError(() => new Reader(hex('01'), 2), INTERNAL);
    expectQuicError(() => r.reset(hex('01'), 0, 5), INTERNAL);
  });
});

describe('Writer', () => {
  it('writes integers, varints and bytes in place', () => {
    const buf = new Uint8Array(40);
    const w = new Writer(buf, 2);
    w.u8(0xff);
    w.u16(0x0102);
    w.u24(0x030405);
    w.u32(0xfffffffe);
    w.u64(0x0b0c0d0e0f101112n);
    w.varint(37);
    w.varint(37, 2);
    w.varint(494878333);
    w.varintBig(151288809941952652n);
    w.bytes(hex('abcd'));
    w.zeros(2);
    expect(toHex(buf.subarray(2, w.position))).toBe(
      'ff' + '0102' + '030405' + 'fffffffe' + '0b0c0d0e0f101112' + '25' + '4025' + '9d7f3e7d' + 'c2197c5eff14e88c' + 'abcd' + '0000',
    );
    expect(w.remaining).toBe(buf.length - w.position);
  });

  it('patches a 2-byte varint placeholder', () => {
    const buf = new Uint8Array(4);
    const w = new Writer(buf);
    const at = w.position;
    w.varint(0, 2);
    w.u16(0xaaaa);
    w.patchVarint2(at, 15293);
    expect(toHex(buf)).toBe('7bbdaaaa');
    w.patchVarint2(at, 0);
    expect(toHex(buf)).toBe('4000aaaa');
    expectQuicError(() => w.patchVarint2(at, 16384), INTERNAL);
    expectQuicError(() => w.patchVarint2(3, 1), INTERNAL);
    w.patchU8(0, 0x12);
    expect(buf[0]).toBe(0x12);
  });

  it('never writes past its end', () => {
    const buf = new Uint8Array(8);
    const w = new Writer(buf, 0, 3);
    w.u16(1);
    expectQuicError(() => w.u16(1), INTERNAL);
    expectQuicError(() => w.u32(1), INTERNAL);
    expectQuicError(() => w.varint(16384), INTERNAL);
    expectQuicError(() => w.varintBig(16384n), INTERNAL);
    expectQuicError(() => w.bytes(hex('0102')), INTERNAL);
    expectQuicError(() => w.zeros(2), INTERNAL);
    expectQuicError(() => w.u64(1n), INTERNAL);
    expect(w.position).toBe(2);
    w.varint(63);
    expect(w.remaining).toBe(0);
    expect(toHex(buf)).toBe('00013f0000000000');
  });

  it('reset re-points the writer', () => {
    const a = new Uint8Array(2);
    const w = new Writer(new Uint8Array(1));
    w.reset(a, 1);
    w.u8(7);
    expect(toHex(a)).toBe('0007');
  });
});
