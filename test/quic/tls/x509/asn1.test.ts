import { describe, expect, it } from 'vitest';
import {
  Asn1Error,
  DerReader,
  MAX_DEPTH,
  TAG_SEQUENCE,
  contextTag,
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeImplicit,
  encodeIa5String,
  encodeInteger,
  encodeNamedBits,
  encodeNull,
  encodeOctetString,
  encodeOid,
  encodePrintableString,
  encodeSequence,
  encodeSetOf,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../../../../src/quic/tls/asn1.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function asn1Error(f: () => unknown): Asn1Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Asn1Error);
    return e as Asn1Error;
  }
  throw new Error('expected an Asn1Error');
}

describe('DER reader: tag and length', () => {
  it('reads short and long form lengths', () => {
    const long = new Uint8Array(300).fill(7);
    const el = new DerReader(encodeOctetString(long)).read();
    expect(el.contents.length).toBe(300);
    expect(el.contentsStart).toBe(4); // 04 82 01 2c
    const short = new DerReader(hex('0403010203')).read();
    expect(toHex(short.contents)).toBe('010203');
  });

  it('rejects indefinite, non-minimal and oversized lengths with the offset', () => {
    expect(asn1Error(() => new DerReader(hex('3080 0000')).read()).offset).toBe(1);
    expect(asn1Error(() => new DerReader(hex('04 81 05 0102030405')).read()).message).toMatch(/non-minimal length/);
    expect(asn1Error(() => new DerReader(hex('04 82 0005 0102030405')).read()).message).toMatch(/leading zero/);
    expect(asn1Error(() => new DerReader(hex('04 85 0100000000')).read()).message).toMatch(/too long/);
    expect(asn1Error(() => new DerReader(hex('04 84 7fffffff 00')).read()).message).toMatch(/exceeds/);
    expect(asn1Error(() => new DerReader(hex('04 05 0102')).read()).message).toMatch(/exceeds the 2 remaining/);
    expect(asn1Error(() => new DerReader(hex('04')).read()).message).toMatch(/missing length/);
    expect(asn1Error(() => new DerReader(hex('1f 01 00')).read()).message).toMatch(/high tag/);
    expect(asn1Error(() => new DerReader(new Uint8Array(0)).read()).message).toMatch(/unexpected end/);
  });

  it('enforces the one DER form of universal tags (found by the fuzzer: OpenSSL refuses these)', () => {
    expect(asn1Error(() => new DerReader(hex('0000')).read()).message).toMatch(/end-of-contents tag in DER at offset 0/);
    expect(asn1Error(() => new DerReader(hex('1000')).read()).message).toMatch(/SEQUENCE in the primitive form/);
    expect(asn1Error(() => new DerReader(hex('1100')).read()).message).toMatch(/SET in the primitive form/);
    expect(asn1Error(() => new DerReader(hex('2c00')).read()).message).toMatch(/UTF8String in the constructed form/);
    expect(asn1Error(() => new DerReader(hex('2303 030100')).read()).message).toMatch(/BIT STRING in the constructed form/);
    expect(asn1Error(() => new DerReader(hex('2403 040100')).read()).message).toMatch(/OCTET STRING in the constructed form/);
    // Context-specific and application tags may be either.
    expect(new DerReader(hex('a000')).read().tag).toBe(0xa0);
    expect(new DerReader(hex('8000')).read().tag).toBe(0x80);
  });

  it('reports absolute offsets from nested readers', () => {
    // SEQUENCE { INTEGER 1, SEQUENCE { OCTET STRING with a bad length } }
    const der = hex('300a 020101 3005 0405 010203');
    const outer = new DerReader(der);
    const e = asn1Error(() => {
      const s = outer.sequence();
      s.integer();
      s.sequence().read();
    });
    expect(e.message).toMatch(/length 5 exceeds the 3 remaining/);
    expect(e.offset).toBe(8);
  });

  it('expects tags and refuses trailing data', () => {
    const r = new DerReader(hex('0500 0500'));
    expect(asn1Error(() => r.expect(TAG_SEQUENCE)).message).toMatch(/expected SEQUENCE, found NULL at offset 0/);
    r.null();
    expect(asn1Error(() => r.end('thing')).message).toMatch(/after the end of thing at offset 2/);
  });

  it('limits nesting depth', () => {
    let der = encodeNull();
    for (let i = 0; i < MAX_DEPTH + 2; i++) der = encodeSequence(der);
    const walk = (r: DerReader): void => {
      while (!r.done) {
        if (r.peekTag() === TAG_SEQUENCE) walk(r.sequence());
        else r.read();
      }
    };
    expect(asn1Error(() => walk(new DerReader(der))).message).toMatch(/nesting deeper than 32/);
  });
});

describe('DER reader: primitive types', () => {
  it('INTEGER: minimal encodings only', () => {
    expect(toHex(new DerReader(hex('020100')).integer())).toBe('00');
    expect(toHex(new DerReader(hex('02020080')).integer())).toBe('0080');
    expect(toHex(new DerReader(hex('0201ff')).integer())).toBe('ff');
    expect(asn1Error(() => new DerReader(hex('0200')).integer()).message).toMatch(/empty INTEGER/);
    expect(asn1Error(() => new DerReader(hex('02020001')).integer()).message).toMatch(/non-minimal/);
    expect(asn1Error(() => new DerReader(hex('0202ff80')).integer()).message).toMatch(/non-minimal/);
    expect(new DerReader(hex('020400ffffff')).smallInteger()).toBe(0xffffff);
    expect(asn1Error(() => new DerReader(hex('0201ff')).smallInteger()).message).toMatch(/negative/);
    expect(asn1Error(() => new DerReader(hex('020901ffffffffffffffff')).smallInteger()).message).toMatch(/too large/);
  });

  it('BOOLEAN: 0x00 or 0xFF only', () => {
    expect(new DerReader(hex('0101ff')).boolean()).toBe(true);
    expect(new DerReader(hex('010100')).boolean()).toBe(false);
    expect(asn1Error(() => new DerReader(hex('010101')).boolean()).message).toMatch(/0x00 or 0xFF/);
    expect(asn1Error(() => new DerReader(hex('01020000')).boolean()).message).toMatch(/one octet/);
  });

  it('OBJECT IDENTIFIER: decodes, including large arcs, and rejects bad encodings', () => {
    expect(new DerReader(hex('06082a8648ce3d030107')).oid()).toBe('1.2.840.10045.3.1.7');
    expect(new DerReader(hex('0603550403')).oid()).toBe('2.5.4.3');
    for (const oid of ['2.5.29.17', '1.3.101.112', '0.9.2342.19200300.100.1.25', '2.999.3', '2.25.329800735698586629295641978511506172918', '1.2.9007199254740993']) {
      expect(new DerReader(encodeOid(oid)).oid()).toBe(oid);
    }
    expect(asn1Error(() => new DerReader(hex('0600')).oid()).message).toMatch(/empty/);
    expect(asn1Error(() => new DerReader(hex('0602 2a86')).oid()).message).toMatch(/truncated/);
    expect(asn1Error(() => new DerReader(hex('0603 2a8001')).oid()).message).toMatch(/non-minimal/);
  });

  it('BIT STRING: unused bits within range and zero', () => {
    expect(new DerReader(hex('03020780')).bitString()).toEqual({ unusedBits: 7, bytes: hex('80') });
    expect(asn1Error(() => new DerReader(hex('03020881')).bitString()).message).toMatch(/8 unused bits/);
    expect(asn1Error(() => new DerReader(hex('03020781')).bitString()).message).toMatch(/not zero/);
    expect(asn1Error(() => new DerReader(hex('030101')).bitString()).message).toMatch(/empty BIT STRING/);
    expect(asn1Error(() => new DerReader(hex('0300')).bitString()).message).toMatch(/unused-bits octet/);
    expect(asn1Error(() => new DerReader(hex('03020780')).bitStringOctets()).message).toMatch(/octet-aligned/);
  });

  it('strings: UTF8, Printable, IA5, BMP, T61 and their alphabets', () => {
    expect(new DerReader(encodeUtf8String('héllo ✓')).string()).toBe('héllo ✓');
    expect(new DerReader(encodePrintableString("Ab 9'()+,-./:=?")).string()).toBe("Ab 9'()+,-./:=?");
    expect(new DerReader(hex('1e0400410042')).string()).toBe('AB');
    expect(new DerReader(hex('1402e9e8')).string()).toBe('éè');
    expect(new DerReader(hex('1203 312033')).string()).toBe('1 3');
    expect(asn1Error(() => new DerReader(hex('1201 41')).string()).message).toMatch(/NumericString/);
    expect(asn1Error(() => new DerReader(hex('0c02c328')).string()).message).toMatch(/invalid UTF-8/);
    expect(asn1Error(() => new DerReader(hex('13012a')).string()).message).toMatch(/invalid character 0x2a in PrintableString/);
    expect(asn1Error(() => new DerReader(hex('160180')).string()).message).toMatch(/IA5String/);
    expect(asn1Error(() => new DerReader(hex('1e0100')).string()).message).toMatch(/odd length/);
    expect(asn1Error(() => new DerReader(hex('0201 00')).string()).message).toMatch(/character string/);
  });

  it('times: UTCTime century rule, GeneralizedTime, strict forms and ranges', () => {
    const t = (s: string, tag = 0x17): Date => new DerReader(encodeTlv(tag, new TextEncoder().encode(s))).time();
    expect(t('491231235959Z').toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(t('500101000000Z').toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(t('20550101000000Z', 0x18).toISOString()).toBe('2055-01-01T00:00:00.000Z');
    expect(t('00010101000000Z', 0x18).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(t('240229120000Z').toISOString()).toBe('2024-02-29T12:00:00.000Z');
    for (const bad of ['2302291200Z', '230229120000Z', '231301000000Z', '230101240000Z', '230101006000Z', '230101000060Z', '2301010000Z0', '230101000000+0100', '23010100000aZ']) {
      expect(() => t(bad), bad).toThrow(Asn1Error);
    }
    expect(() => t('20230101000000.5Z', 0x18)).toThrow(/GeneralizedTime must have the form/);
    expect(() => t('230101000000Z', 0x18)).toThrow(Asn1Error);
  });
});

describe('DER writer', () => {
  it('encodes integers minimally from numbers, bigints and bytes', () => {
    expect(toHex(encodeInteger(0))).toBe('020100');
    expect(toHex(encodeInteger(127))).toBe('02017f');
    expect(toHex(encodeInteger(128))).toBe('02020080');
    expect(toHex(encodeInteger(256))).toBe('02020100');
    expect(toHex(encodeInteger(-1))).toBe('0201ff');
    expect(toHex(encodeInteger(-128))).toBe('020180');
    expect(toHex(encodeInteger(-129))).toBe('0202ff7f');
    expect(toHex(encodeInteger(2n ** 64n))).toBe('0209010000000000000000');
    expect(toHex(encodeInteger(hex('0000ff')))).toBe('020200ff');
    expect(toHex(encodeInteger(hex('000001')))).toBe('020101');
    expect(toHex(encodeInteger(new Uint8Array(0)))).toBe('020100');
  });

  it('encodes OIDs, booleans, NULL, strings and context tags', () => {
    expect(toHex(encodeOid('1.2.840.10045.3.1.7'))).toBe('06082a8648ce3d030107');
    expect(toHex(encodeOid('2.999'))).toBe('06028837');
    expect(() => encodeOid('3.1')).toThrow(RangeError);
    expect(() => encodeOid('1.40')).toThrow(RangeError);
    expect(() => encodeOid('1.02')).toThrow(RangeError);
    expect(toHex(encodeBoolean(true))).toBe('0101ff');
    expect(toHex(encodeNull())).toBe('0500');
    expect(toHex(encodeIa5String('a.b'))).toBe('1603612e62');
    expect(() => encodePrintableString('a*b')).toThrow(RangeError);
    expect(toHex(encodeExplicit(0, encodeInteger(2)))).toBe('a003020102');
    expect(toHex(encodeImplicit(2, new TextEncoder().encode('x')))).toBe('820178');
    expect(contextTag(3, true)).toBe(0xa3);
  });

  it('encodes named bit lists without trailing zero bits (KeyUsage)', () => {
    expect(toHex(encodeNamedBits(1 << 0))).toBe('03020780'); // digitalSignature
    expect(toHex(encodeNamedBits((1 << 5) | (1 << 6)))).toBe('03020106'); // keyCertSign | cRLSign
    expect(toHex(encodeNamedBits(1 << 8))).toBe('0303070080'); // decipherOnly
    expect(toHex(encodeNamedBits(0))).toBe('030100');
  });

  it('sorts SET OF elements', () => {
    expect(toHex(encodeSetOf(encodeInteger(2), encodeInteger(1)))).toBe('3106020101020102');
  });

  it('chooses UTCTime before 2050 and GeneralizedTime from 2050', () => {
    expect(toHex(encodeTime(new Date('2049-12-31T23:59:59Z')))).toBe('170d' + toHex(new TextEncoder().encode('491231235959Z')));
    expect(toHex(encodeTime(new Date('2050-01-01T00:00:00Z')))).toBe('180f' + toHex(new TextEncoder().encode('20500101000000Z')));
    expect(() => encodeTime(new Date('1949-01-01T00:00:00Z'))).toThrow(RangeError);
  });

  it('round-trips through the reader', () => {
    const der = encodeSequence(
      encodeInteger(12345),
      encodeOid('1.3.6.1.5.5.7.3.1'),
      encodeBitString(hex('0102')),
      encodeExplicit(3, encodeSequence(encodeBoolean(true), encodeOctetString(hex('aa')))),
      encodeTime(new Date('2030-05-06T07:08:09Z')),
    );
    const r = new DerReader(der).sequence();
    expect(r.smallInteger()).toBe(12345);
    expect(r.oid()).toBe('1.3.6.1.5.5.7.3.1');
    expect(toHex(r.bitStringOctets())).toBe('0102');
    const inner = r.explicit(3).sequence();
    expect(inner.boolean()).toBe(true);
    expect(toHex(inner.octetString())).toBe('aa');
    inner.end();
    expect(r.time().toISOString()).toBe('2030-05-06T07:08:09.000Z');
    r.end();
  });
});
