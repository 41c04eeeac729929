/**
 * Byte cursors for the TLS presentation language (RFC 8446 §3): big-endian integers and
 * length-prefixed vectors. Every read failure is a TlsAlert(decode_error), so a parser built on
 * `TlsReader` can only fail with an alert, whatever the input.
 */
import { AlertDescription } from './constants.js';
import { TlsAlert } from './alerts.js';

export class TlsReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array, private readonly what = 'message') {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) {
      throw new TlsAlert(AlertDescription.decodeError, `${this.what} truncated at offset ${this.pos} (needs ${n} more bytes)`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = ((this.buf[this.pos]! << 24) >>> 0) + ((this.buf[this.pos + 1]! << 16) | (this.buf[this.pos + 2]! << 8) | this.buf[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** `opaque x<min..max>` with a 1, 2 or 3 byte length (RFC 8446 §3.4); a view. */
  vector(lengthBytes: 1 | 2 | 3, min = 0, max = (1 << (8 * lengthBytes)) - 1): Uint8Array {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) {
      throw new TlsAlert(AlertDescription.decodeError, `${this.what}: vector length ${n} outside ${min}..${max}`);
    }
    return this.bytes(n);
  }

  /** A reader over a length-prefixed vector's contents. */
  sub(lengthBytes: 1 | 2 | 3, what: string, min = 0, max?: number): TlsReader {
    return new TlsReader(this.vector(lengthBytes, min, max), what);
  }

  /** A list of u16 values in a vector with the given length size (e.g. cipher_suites<2..2^16-2>). */
  u16List(lengthBytes: 1 | 2, what: string, minCount = 1): number[] {
    const body = this.vector(lengthBytes);
    if (body.length % 2 !== 0 || body.length < 2 * minCount) {
      throw new TlsAlert(AlertDescription.decodeError, `${what}: bad list length ${body.length}`);
    }
    const out: number[] = [];
    for (let i = 0; i < body.length; i += 2) out.push((body[i]! << 8) | body[i + 1]!);
    return out;
  }

  /** Fails unless every byte was consumed. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw new TlsAlert(AlertDescription.decodeError, `${this.what}: ${this.buf.length - this.pos} trailing bytes`);
    }
  }
}

export class TlsWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Writes a vector whose contents `body` produces, back-patching the 1, 2 or 3 byte length. */
  vector(lengthBytes: 1 | 2 | 3, body: (w: this) => void): this {
    this.ensure(lengthBytes);
    const at = this.len;
    this.len += lengthBytes;
    body(this);
    const n = this.len - at - lengthBytes;
    if (n >= 2 ** (8 * lengthBytes)) throw new RangeError(`vector of ${n} bytes does not fit a ${lengthBytes}-byte length`);
    for (let i = lengthBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** `opaque x<..>` from bytes. */
  opaque(lengthBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.vector(lengthBytes, (w) => w.bytes(b));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export { bytesEqual, concatBytes, toHex } from '../wire/bytes.js';
