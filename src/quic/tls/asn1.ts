/**
 * A strict DER (ITU-T X.690 §10) reader and a small DER writer, enough for X.509 (RFC 5280),
 * PKCS#8 (RFC 5208/5958) and SEC1 (RFC 5915) structures.
 *
 * The reader never copies: every element it returns is a subarray of the input. It does not
 * recurse on its own; nested readers carry a depth and refuse to go deeper than MAX_DEPTH, so a
 * caller walking a hostile structure is bounded too. Every malformed input throws an Asn1Error
 * that carries the absolute offset of the offending byte.
 */
export { concatBytes } from '../wire/bytes.js';
import { concatBytes } from '../wire/bytes.js';

/** Universal tags (X.680 §8.6) and the identifier octets we read and write. */
export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_NUMERIC_STRING = 0x12;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_T61_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_VISIBLE_STRING = 0x1a;
export const TAG_UNIVERSAL_STRING = 0x1c;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Identifier-octet bits (X.690 §8.1.2). */
export const CLASS_CONTEXT = 0x80;
export const CONSTRUCTED = 0x20;

/** Context-specific tag [n], primitive or constructed. */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] out of range`);
  return CLASS_CONTEXT | (constructed ? CONSTRUCTED : 0) | n;
}

/** Nesting limit: X.509 needs about 8 levels; anything far deeper is hostile. */
export const MAX_DEPTH = 32;

export class Asn1Error extends Error {
  /** Absolute offset of the offending byte in the outermost input. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'Asn1Error';
    this.offset = offset;
  }
}

/** One TLV. `contents` and `raw` are subarrays of the input, not copies. */
export interface Asn1Element {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  /** Absolute offset of the identifier octet. */
  start: number;
  /** Absolute offset of the first contents octet. */
  contentsStart: number;
  contents: Uint8Array;
  /** The whole encoding: identifier, length and contents. */
  raw: Uint8Array;
}

export function tagName(tag: number): string {
  const names: Record<number, string> = {
    [TAG_BOOLEAN]: 'BOOLEAN', [TAG_INTEGER]: 'INTEGER', [TAG_BIT_STRING]: 'BIT STRING',
    [TAG_OCTET_STRING]: 'OCTET STRING', [TAG_NULL]: 'NULL', [TAG_OID]: 'OBJECT IDENTIFIER',
    [TAG_UTF8_STRING]: 'UTF8String', [TAG_NUMERIC_STRING]: 'NumericString', [TAG_PRINTABLE_STRING]: 'PrintableString', [TAG_T61_STRING]: 'T61String',
    [TAG_IA5_STRING]: 'IA5String', [TAG_UTC_TIME]: 'UTCTime', [TAG_GENERALIZED_TIME]: 'GeneralizedTime',
    [TAG_VISIBLE_STRING]: 'VisibleString', [TAG_UNIVERSAL_STRING]: 'UniversalString', [TAG_BMP_STRING]: 'BMPString',
    [TAG_SEQUENCE]: 'SEQUENCE', [TAG_SET]: 'SET',
  };
  const known = names[tag];
  if (known !== undefined) return known;
  if ((tag & 0xc0) === CLASS_CONTEXT) return `[${tag & 0x1f}]${tag & CONSTRUCTED ? ' constructed' : ''}`;
  return `tag 0x${tag.toString(16).padStart(2, '0')}`;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** PrintableString alphabet (X.680 §41.4). */
function isPrintableChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x20 || c === 0x27 || c === 0x28 || c === 0x29 || c === 0x2b || c === 0x2c ||
    c === 0x2d || c === 0x2e || c === 0x2f || c === 0x3a || c === 0x3d || c === 0x3f
  );
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a sequence of DER elements from `bytes`. `base` is the absolute offset of bytes[0], so
 * error offsets always refer to the outermost input.
 */
export class DerReader {
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base = 0,
    readonly depth = 0,
  ) {
    if (depth > MAX_DEPTH) throw new Asn1Error(`nesting deeper than ${MAX_DEPTH} levels`, base);
  }

  /** Absolute offset of the next element. */
  get offset(): number {
    return this.base + this.pos;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** The identifier octet of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.pos < this.bytes.length ? this.bytes[this.pos] : undefined;
  }

  /** Throws unless every byte has been consumed (no trailing data). */
  end(what = 'structure'): void {
    if (!this.done) throw new Asn1Error(`unexpected data after the end of ${what}`, this.offset);
  }

  /** Reads the next element, whatever its tag. */
  read(): Asn1Element {
    const b = this.bytes;
    const start = this.pos;
    if (start >= b.length) throw new Asn1Error('unexpected end of data, expected an element', this.base + start);
    const tag = b[start]!;
    // X.690 §8.1.5: end-of-contents octets only end indefinite-length encodings, which DER forbids.
    if (tag === 0x00) throw new Asn1Error('end-of-contents tag in DER', this.base + start);
    // X.690 §8.1.2.4: tag numbers >= 31 use the high-tag-number form, which nothing we parse uses.
    if ((tag & 0x1f) === 0x1f) throw new Asn1Error('high tag numbers are not supported', this.base + start);
    if ((tag & 0xc0) === 0) {
      // Universal tags have one form in DER: SEQUENCE, SET, EXTERNAL, EMBEDDED PDV and CHARACTER STRING are
      // constructed; everything else, strings included, is primitive (X.690 §10.2).
      const n = tag & 0x1f;
      const mustBeConstructed = n === 16 || n === 17 || n === 8 || n === 11 || n === 29;
      if (mustBeConstructed !== ((tag & CONSTRUCTED) !== 0)) {
        const name = n === 16 ? 'SEQUENCE' : n === 17 ? 'SET' : tagName(n);
        throw new Asn1Error(`${name} in the ${mustBeConstructed ? 'primitive' : 'constructed'} form`, this.base + start);
      }
    }
    let p = start + 1;
    if (p >= b.length) throw new Asn1Error('missing length octet', this.base + p);
    const first = b[p++]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      throw new Asn1Error('indefinite length is not allowed in DER', this.base + p - 1);
    } else {
      const n = first & 0x7f;
      // Four length octets cover 4 GiB, far beyond anything we accept; more is hostile.
      if (n > 4) throw new Asn1Error(`length of ${n} octets is too long`, this.base + p - 1);
      if (p + n > b.length) throw new Asn1Error('truncated length', this.base + p);
      if (b[p] === 0) throw new Asn1Error('non-minimal length (leading zero octet)', this.base + p);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[p++]!;
      // X.690 §10.1: the short form is mandatory for lengths below 128.
      if (length < 0x80) throw new Asn1Error('non-minimal length (long form for a short length)', this.base + start + 1);
    }
    if (length > b.length - p) {
      throw new Asn1Error(`${tagName(tag)} length ${length} exceeds the ${b.length - p} remaining bytes`, this.base + start + 1);
    }
    this.pos = p + length;
    return {
      tag,
      start: this.base + start,
      contentsStart: this.base + p,
      contents: b.subarray(p, p + length),
      raw: b.subarray(start, p + length),
    };
  }

  /** Reads the next element and checks its tag. */
  expect(tag: number): Asn1Element {
    const at = this.offset;
    const actual = this.peekTag();
    if (actual === undefined) throw new Asn1Error(`unexpected end of data, expected ${tagName(tag)}`, at);
    if (actual !== tag) throw new Asn1Error(`expected ${tagName(tag)}, found ${tagName(actual)}`, at);
    return this.read();
  }

  /** A reader over the contents of an element read from this reader. */
  nested(el: Asn1Element): DerReader {
    if ((el.tag & CONSTRUCTED) === 0) throw new Asn1Error(`${tagName(el.tag)} is not constructed`, el.start);
    return new DerReader(el.contents, el.contentsStart, this.depth + 1);
  }

  sequence(): DerReader {
    return this.nested(this.expect(TAG_SEQUENCE));
  }

  set(): DerReader {
    return this.nested(this.expect(TAG_SET));
  }

  /** [n] EXPLICIT: a constructed context tag wrapping exactly what the returned reader reads. */
  explicit(n: number): DerReader {
    return this.nested(this.expect(contextTag(n, true)));
  }

  /** The next element if it has the given tag, else undefined (for OPTIONAL / DEFAULT fields). */
  optional(tag: number): Asn1Element | undefined {
    return this.peekTag() === tag ? this.read() : undefined;
  }

  /** INTEGER contents: minimal two's complement, big-endian (X.690 §8.3.2). */
  integer(): Uint8Array {
    const el = this.expect(TAG_INTEGER);
    return checkInteger(el);
  }

  /** A non-negative INTEGER that fits a safe JS number. */
  smallInteger(): number {
    const el = this.expect(TAG_INTEGER);
    return integerToNumber(el);
  }

  boolean(): boolean {
    return decodeBoolean(this.expect(TAG_BOOLEAN));
  }

  null(): void {
    const el = this.expect(TAG_NULL);
    if (el.contents.length !== 0) throw new Asn1Error('NULL with contents', el.start);
  }

  /** OBJECT IDENTIFIER in dotted-decimal form. */
  oid(): string {
    return decodeOid(this.expect(TAG_OID));
  }

  bitString(): { unusedBits: number; bytes: Uint8Array } {
    return decodeBitString(this.expect(TAG_BIT_STRING));
  }

  /** A BIT STRING that must be a whole number of octets (keys, signatures). */
  bitStringOctets(): Uint8Array {
    const el = this.expect(TAG_BIT_STRING);
    const { unusedBits, bytes } = decodeBitString(el);
    if (unusedBits !== 0) throw new Asn1Error('BIT STRING is not octet-aligned', el.start);
    return bytes;
  }

  octetString(): Uint8Array {
    return this.expect(TAG_OCTET_STRING).contents;
  }

  /** Any of the character string types X.509 names use, decoded to a JS string. */
  string(): string {
    return decodeString(this.read());
  }

  /** UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5). */
  time(): Date {
    return decodeTime(this.read());
  }
}

/** Checks DER INTEGER rules and returns the contents (two's complement, big-endian). */
export function checkInteger(el: Asn1Element): Uint8Array {
  const c = el.contents;
  if (el.tag !== TAG_INTEGER) throw new Asn1Error(`expected INTEGER, found ${tagName(el.tag)}`, el.start);
  if (c.length === 0) throw new Asn1Error('empty INTEGER', el.start);
  if (c.length > 1 && ((c[0] === 0x00 && c[1]! < 0x80) || (c[0] === 0xff && c[1]! >= 0x80))) {
    throw new Asn1Error('non-minimal INTEGER encoding', el.contentsStart);
  }
  return c;
}

export function integerToNumber(el: Asn1Element): number {
  const c = checkInteger(el);
  if (c[0]! >= 0x80) throw new Asn1Error('negative INTEGER where a non-negative one is required', el.contentsStart);
  if (c.length > 7 || (c.length === 7 && c[0]! > 0x1f)) throw new Asn1Error('INTEGER too large', el.contentsStart);
  let v = 0;
  for (const x of c) v = v * 256 + x;
  return v;
}

export function decodeBoolean(el: Asn1Element): boolean {
  if (el.contents.length !== 1) throw new Asn1Error('BOOLEAN must be one octet', el.start);
  const v = el.contents[0]!;
  // X.690 §11.1: DER encodes TRUE as 0xFF.
  if (v !== 0x00 && v !== 0xff) throw new Asn1Error('BOOLEAN must be 0x00 or 0xFF in DER', el.contentsStart);
  return v === 0xff;
}

export function decodeOid(el: Asn1Element): string {
  const c = el.contents;
  if (c.length === 0) throw new Asn1Error('empty OBJECT IDENTIFIER', el.start);
  const arcs: string[] = [];
  let i = 0;
  while (i < c.length) {
    const arcStart = i;
    // X.690 §8.19.2: the first octet of a subidentifier is never 0x80 (minimal encoding).
    if (c[i] === 0x80) throw new Asn1Error('non-minimal OBJECT IDENTIFIER subidentifier', el.contentsStart + i);
    let v = 0;
    let big: bigint | undefined;
    for (;;) {
      if (i >= c.length) throw new Asn1Error('truncated OBJECT IDENTIFIER subidentifier', el.contentsStart + arcStart);
      const byte = c[i++]!;
      if (big === undefined && v >= 2 ** 45) big = BigInt(v);
      if (big !== undefined) big = (big << 7n) | BigInt(byte & 0x7f);
      else v = v * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    if (arcs.length === 0) {
      // X.690 §8.19.4: the first subidentifier packs the first two arcs as 40 * X + Y.
      if (big !== undefined) {
        arcs.push('2', (big - 80n).toString());
      } else {
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(String(x), String(v - 40 * x));
      }
    } else {
      arcs.push(big !== undefined ? big.toString() : String(v));
    }
  }
  return arcs.join('.');
}

export function decodeBitString(el: Asn1Element): { unusedBits: number; bytes: Uint8Array } {
  const c = el.contents;
  if (el.tag !== TAG_BIT_STRING) throw new Asn1Error(`expected BIT STRING, found ${tagName(el.tag)}`, el.start);
  if (c.length === 0) throw new Asn1Error('BIT STRING without the unused-bits octet', el.start);
  const unusedBits = c[0]!;
  if (unusedBits > 7) throw new Asn1Error(`BIT STRING with ${unusedBits} unused bits`, el.contentsStart);
  if (c.length === 1 && unusedBits !== 0) throw new Asn1Error('empty BIT STRING with unused bits', el.contentsStart);
  // X.690 §11.2.1: the unused bits are zero in DER.
  if (unusedBits !== 0 && (c[c.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new Asn1Error('BIT STRING unused bits are not zero', el.contentsStart + c.length - 1);
  }
  return { unusedBits, bytes: c.subarray(1) };
}

/** Whether `tag` is one of the character string types decodeString reads. */
export function isStringTag(tag: number): boolean {
  return (
    tag === TAG_UTF8_STRING || tag === TAG_NUMERIC_STRING || tag === TAG_PRINTABLE_STRING || tag === TAG_T61_STRING ||
    tag === TAG_IA5_STRING || tag === TAG_VISIBLE_STRING || tag === TAG_UNIVERSAL_STRING || tag === TAG_BMP_STRING
  );
}

export function decodeString(el: Asn1Element): string {
  const c = el.contents;
  switch (el.tag) {
    case TAG_UTF8_STRING:
      try {
        return utf8Decoder.decode(c);
      } catch {
        throw new Asn1Error('invalid UTF-8 in UTF8String', el.contentsStart);
      }
    case TAG_NUMERIC_STRING:
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
    case TAG_VISIBLE_STRING: {
      let s = '';
      for (let i = 0; i < c.length; i++) {
        const ch = c[i]!;
        const ok =
          el.tag === TAG_NUMERIC_STRING ? (ch >= 0x30 && ch <= 0x39) || ch === 0x20 :
          el.tag === TAG_PRINTABLE_STRING ? isPrintableChar(ch) :
          el.tag === TAG_IA5_STRING ? ch < 0x80 : ch >= 0x20 && ch < 0x7f;
        if (!ok) throw new Asn1Error(`invalid character 0x${ch.toString(16)} in ${tagName(el.tag)}`, el.contentsStart + i);
        s += String.fromCharCode(ch);
      }
      return s;
    }
    case TAG_T61_STRING: {
      // Teletex is in practice Latin-1 in old certificates; that is how OpenSSL and Go read it.
      let s = '';
      for (const ch of c) s += String.fromCharCode(ch);
      return s;
    }
    case TAG_BMP_STRING: {
      if (c.length % 2 !== 0) throw new Asn1Error('BMPString of odd length', el.start);
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    case TAG_UNIVERSAL_STRING: {
      if (c.length % 4 !== 0) throw new Asn1Error('UniversalString length is not a multiple of 4', el.start);
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = ((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new Asn1Error('invalid code point in UniversalString', el.contentsStart + i);
        }
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new Asn1Error(`expected a character string, found ${tagName(el.tag)}`, el.start);
  }
}

/**
 * RFC 5280 §4.1.2.5.1/§4.1.2.5.2 time forms: UTCTime YYMMDDHHMMSSZ (YY >= 50 is 19YY) and
 * GeneralizedTime YYYYMMDDHHMMSSZ, both with seconds, in UTC, without fractions.
 */
export function decodeTime(el: Asn1Element): Date {
  const c = el.contents;
  let yearDigits: number;
  if (el.tag === TAG_UTC_TIME) yearDigits = 2;
  else if (el.tag === TAG_GENERALIZED_TIME) yearDigits = 4;
  else throw new Asn1Error(`expected UTCTime or GeneralizedTime, found ${tagName(el.tag)}`, el.start);
  const expected = yearDigits + 11;
  if (c.length !== expected || c[expected - 1] !== 0x5a /* Z */) {
    throw new Asn1Error(`${tagName(el.tag)} must have the form ${yearDigits === 2 ? 'YY' : 'YYYY'}MMDDHHMMSSZ`, el.start);
  }
  const digits = (from: number, n: number): number => {
    let v = 0;
    for (let i = from; i < from + n; i++) {
      const d = c[i]! - 0x30;
      if (d < 0 || d > 9) throw new Asn1Error(`non-digit in ${tagName(el.tag)}`, el.contentsStart + i);
      v = v * 10 + d;
    }
    return v;
  };
  let year = digits(0, yearDigits);
  if (yearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const p = yearDigits;
  const month = digits(p, 2);
  const day = digits(p + 2, 2);
  const hour = digits(p + 4, 2);
  const minute = digits(p + 6, 2);
  const second = digits(p + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new Asn1Error(`${tagName(el.tag)} out of range`, el.contentsStart);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Writer: each function returns one complete TLV; compose them bottom-up.

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}


/** One TLV with the given identifier octet and contents. */
export function encodeTlv(tag: number, contents: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(contents.length), contents);
}

export function encodeSequence(...elements: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, concatBytes(...elements));
}

/** SET OF: DER sorts the element encodings (X.690 §11.6). */
export function encodeSetOf(...elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort(compareBytes);
  return encodeTlv(TAG_SET, concatBytes(...sorted));
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * INTEGER from a number, a bigint, or unsigned big-endian bytes (a leading 0x00 is added when
 * the top bit is set, and redundant leading zeros are dropped).
 */
export function encodeInteger(value: number | bigint | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    bytes = value.length === 0 ? Uint8Array.of(0) : value.subarray(i);
    if (bytes[0]! >= 0x80) bytes = concatBytes(Uint8Array.of(0), bytes);
  } else {
    let v = BigInt(value);
    const out: number[] = [];
    // Two's complement, minimal: stop once the remaining value is only sign extension.
    for (;;) {
      const byte = Number(v & 0xffn);
      out.unshift(byte);
      v >>= 8n;
      if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
    }
    bytes = Uint8Array.from(out);
  }
  return encodeTlv(TAG_INTEGER, bytes);
}

export function encodeBoolean(value: boolean): Uint8Array {
  return Uint8Array.of(TAG_BOOLEAN, 1, value ? 0xff : 0x00);
}

export function encodeNull(): Uint8Array {
  return Uint8Array.of(TAG_NULL, 0);
}

export function encodeOid(dotted: string): Uint8Array {
  const parts = dotted.split('.');
  if (parts.length < 2 || parts.some((p) => !/^(0|[1-9][0-9]*)$/.test(p))) throw new RangeError(`invalid OID "${dotted}"`);
  const arcs = parts.map((p) => BigInt(p));
  const [a, b] = arcs as [bigint, bigint];
  if (a > 2n || (a < 2n && b >= 40n)) throw new RangeError(`invalid OID "${dotted}"`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const groups: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  };
  push(a * 40n + b);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeTlv(TAG_OID, Uint8Array.from(out));
}

export function encodeBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return encodeTlv(TAG_BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/**
 * A named-bit-list BIT STRING (e.g. KeyUsage) from a mask where bit i of the mask is named
 * bit i of the string; DER drops trailing zero bits (X.690 §11.2.2).
 */
export function encodeNamedBits(mask: number): Uint8Array {
  if (mask === 0) return encodeBitString(new Uint8Array(0));
  let highest = 0;
  for (let i = 0; i < 31; i++) if (mask & (1 << i)) highest = i;
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (let i = 0; i <= highest; i++) if (mask & (1 << i)) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return encodeBitString(bytes, 7 - (highest & 7));
}

export function encodeOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(TAG_OCTET_STRING, bytes);
}

export function encodeUtf8String(s: string): Uint8Array {
  return encodeTlv(TAG_UTF8_STRING, new TextEncoder().encode(s));
}

function encodeAscii(tag: number, s: string, ok: (c: number) => boolean): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!ok(c)) throw new RangeError(`character ${JSON.stringify(s[i])} not allowed in ${tagName(tag)}`);
    bytes[i] = c;
  }
  return encodeTlv(tag, bytes);
}

export function encodePrintableString(s: string): Uint8Array {
  return encodeAscii(TAG_PRINTABLE_STRING, s, isPrintableChar);
}

export function encodeIa5String(s: string): Uint8Array {
  return encodeAscii(TAG_IA5_STRING, s, (c) => c < 0x80);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function encodeTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`year ${year} cannot be encoded in a certificate`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest =
    two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + 'Z';
  if (year < 2050) return encodeAscii(TAG_UTC_TIME, two(year % 100) + rest, () => true);
  return encodeAscii(TAG_GENERALIZED_TIME, String(year) + rest, () => true);
}

/** [n] EXPLICIT wrapping of one or more complete TLVs. */
export function encodeExplicit(n: number, ...inner: Uint8Array[]): Uint8Array {
  return encodeTlv(contextTag(n, true), concatBytes(...inner));
}

/** [n] IMPLICIT: the given contents under a context tag. */
export function encodeImplicit(n: number, contents: Uint8Array, constructed = false): Uint8Array {
  return encodeTlv(contextTag(n, constructed), contents);
}
