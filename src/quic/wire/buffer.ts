/**
 * Cursors over byte arrays: `Reader` for parsing, `Writer` for building packets in place.
 *
 * Both keep their state in plain number fields and never allocate per call (except `u64`,
 * which returns a bigint, and `Reader.bytes`, which returns a subarray view without copying).
 * A `Reader` can be re-pointed with `reset` so one instance serves many packets.
 */

import { TransportErrorCode, QuicError, internalError } from './errors.js';
import { copyRange } from './bytes-copy.js';
import {
  type VarintLength,
  encodeVarint,
  encodeVarintBig,
  readVarintUnchecked,
  varintLengthFromFirstByte,
} from './varint.js';

/** Reads big-endian integers, varints and byte slices from `buf[position, end)`. */
export class Reader {
  buf: Uint8Array;
  /** Offset of the next byte to read, into `buf`. */
  position: number;
  /** One past the last readable byte, into `buf`. */
  end: number;
  /**
   * The transport error code thrown for malformed input (a read past `end`, a varint that does
   * not fit a number): FRAME_ENCODING_ERROR for frames (the default), TRANSPORT_PARAMETER_ERROR
   * for transport parameters, PROTOCOL_VIOLATION for packet headers.
   */
  errorCode: number;

  constructor(
    buf: Uint8Array,
    offset = 0,
    end: number = buf.length,
    errorCode: number = TransportErrorCode.FRAME_ENCODING_ERROR,
  ) {
    checkRange(buf, offset, end);
    this.buf = buf;
    this.position = offset;
    this.end = end;
    this.errorCode = errorCode;
  }

  /** Re-points the reader at another slice; returns `this`. */
  reset(buf: Uint8Array, offset = 0, end: number = buf.length): this {
    checkRange(buf, offset, end);
    this.buf = buf;
    this.position = offset;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  /** A QuicError with this reader's error code, for callers that find a field invalid. */
  error(reason: string): QuicError {
    return new QuicError(this.errorCode, reason);
  }

  private underflow(n: number): QuicError {
    return new QuicError(this.errorCode, `truncated: need ${n} byte(s) at offset ${this.position}, ${this.end - this.position} left`);
  }

  peekU8(): number {
    if (this.position >= this.end) throw this.underflow(1);
    return this.buf[this.position]!;
  }

  u8(): number {
    const p = this.position;
    if (p >= this.end) throw this.underflow(1);
    this.position = p + 1;
    return this.buf[p]!;
  }

  u16(): number {
    const p = this.position;
    if (p + 2 > this.end) throw this.underflow(2);
    this.position = p + 2;
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u24(): number {
    const p = this.position;
    if (p + 3 > this.end) throw this.underflow(3);
    this.position = p + 3;
    const b = this.buf;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(): number {
    const p = this.position;
    if (p + 4 > this.end) throw this.underflow(4);
    this.position = p + 4;
    const b = this.buf;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A varint (RFC 9000 §16) as a number; throws when it exceeds 2^53 - 1. */
  varint(): number {
    const p = this.position;
    if (p >= this.end) throw this.underflow(1);
    const n = varintLengthFromFirstByte(this.buf[p]!);
    if (p + n > this.end) throw this.underflow(n);
    const v = readVarintUnchecked(this.buf, p, n, false);
    if (v < 0) throw new QuicError(this.errorCode, `varint at offset ${p} exceeds 2^53 - 1`);
    this.position = p + n;
    return v;
  }

  /**
   * A varint as a number, saturated at `Number.MAX_SAFE_INTEGER`. For limits and credits
   * (MAX_DATA, initial_max_data, error codes): a peer may legally send up to 2^62 - 1, and any
   * value of 2^53 or more is "unlimited" for us.
   */
  varintClamped(): number {
    const p = this.position;
    if (p >= this.end) throw this.underflow(1);
    const n = varintLengthFromFirstByte(this.buf[p]!);
    if (p + n > this.end) throw this.underflow(n);
    this.position = p + n;
    return readVarintUnchecked(this.buf, p, n, true);
  }

  /** A varint as a bigint, the full 62-bit range. */
  varintBig(): bigint {
    const p = this.position;
    if (p >= this.end) throw this.underflow(1);
    const n = varintLengthFromFirstByte(this.buf[p]!);
    if (p + n > this.end) throw this.underflow(n);
    const b = this.buf;
    let v = BigInt(b[p]! & 0x3f);
    for (let i = 1; i < n; i++) v = (v << 8n) | BigInt(b[p + i]!);
    this.position = p + n;
    return v;
  }

  /** Length in bytes of the varint at the cursor (without consuming it). */
  peekVarintLength(): VarintLength {
    if (this.position >= this.end) throw this.underflow(1);
    return varintLengthFromFirstByte(this.buf[this.position]!);
  }

  /** The next `n` bytes as a subarray of `buf` (no copy). */
  bytes(n: number): Uint8Array {
    const p = this.position;
    if (!(n >= 0 && p + n <= this.end)) throw this.underflow(n);
    this.position = p + n;
    return this.buf.subarray(p, p + n);
  }

  skip(n: number): void {
    if (!(n >= 0 && this.position + n <= this.end)) throw this.underflow(n);
    this.position += n;
  }
}

/** Writes into a caller-provided buffer, `buf[position, end)`; never grows it. */
export class Writer {
  buf: Uint8Array;
  /** Offset of the next byte to write, into `buf`. */
  position: number;
  /** Capacity limit: one past the last writable byte, into `buf`. */
  end: number;

  constructor(buf: Uint8Array, offset = 0, end: number = buf.length) {
    checkRange(buf, offset, end);
    this.buf = buf;
    this.position = offset;
    this.end = end;
  }

  /** Re-points the writer at another buffer slice; returns `this`. */
  reset(buf: Uint8Array, offset = 0, end: number = buf.length): this {
    checkRange(buf, offset, end);
    this.buf = buf;
    this.position = offset;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private ensure(n: number): number {
    const p = this.position;
    if (p + n > this.end) throw internalError(`writer overflow: need ${n} byte(s), ${this.end - p} left`);
    return p;
  }

  u8(v: number): void {
    const p = this.ensure(1);
    this.buf[p] = v;
    this.position = p + 1;
  }

  u16(v: number): void {
    const p = this.ensure(2);
    const b = this.buf;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.position = p + 2;
  }

  u24(v: number): void {
    const p = this.ensure(3);
    const b = this.buf;
    b[p] = v >>> 16;
    b[p + 1] = v >>> 8;
    b[p + 2] = v;
    this.position = p + 3;
  }

  u32(v: number): void {
    const p = this.ensure(4);
    const b = this.buf;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.position = p + 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.u32(Number((v >> 32n) & 0xffffffffn));
    this.u32(Number(v & 0xffffffffn));
  }

  /**
   * A varint (RFC 9000 §16), minimal unless `length` forces 1, 2, 4 or 8 bytes (for a length
   * field patched later). Throws INTERNAL_ERROR when the value does not fit.
   */
  varint(v: number, length?: VarintLength): void {
    this.position = encodeVarint(v, this.buf, this.position, length, this.end);
  }

  varintBig(v: bigint, length?: VarintLength): void {
    this.position = encodeVarintBig(v, this.buf, this.position, length, this.end);
  }

  bytes(data: Uint8Array): void {
    const p = this.ensure(data.length);
    this.buf.set(data, p);
    this.position = p + data.length;
  }

  /** `src[start, start + n)`, copied without a view of it (see bytes-copy.ts). */
  copyFrom(src: Uint8Array, start: number, n: number): void {
    const p = this.ensure(n);
    copyRange(this.buf, p, src, start, n);
    this.position = p + n;
  }

  /** `n` zero bytes (PADDING). */
  zeros(n: number): void {
    const p = this.ensure(n);
    this.buf.fill(0, p, p + n);
    this.position = p + n;
  }

  /** Overwrites the byte at `at` (e.g. a first byte completed after the payload is known). */
  patchU8(at: number, v: number): void {
    if (at < 0 || at >= this.end) throw internalError(`patch offset ${at} outside the buffer`);
    this.buf[at] = v;
  }

  /**
   * Overwrites a 2-byte varint placeholder at `at` with `value` (< 2^14): the Length field of a
   * long header written before the payload size was known (RFC 9000 §17.2).
   */
  patchVarint2(at: number, value: number): void {
    if (at < 0 || at + 2 > this.end) throw internalError(`patch offset ${at} outside the buffer`);
    if (!(value >= 0 && value < 0x4000) || !Number.isInteger(value)) {
      throw internalError(`value ${value} does not fit a 2-byte varint`);
    }
    this.buf[at] = 0x40 | (value >>> 8);
    this.buf[at + 1] = value & 0xff;
  }
}

function checkRange(buf: Uint8Array, offset: number, end: number): void {
  if (!(offset >= 0 && offset <= end && end <= buf.length)) {
    throw internalError(`bad slice [${offset}, ${end}) of a ${buf.length}-byte buffer`);
  }
}
