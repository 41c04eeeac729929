import { describe, expect, it } from 'vitest';
import { Writer } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import {
  type LongHeader,
  type PacketHeader,
  QUIC_VERSION_1,
  ShortHeaderView,
  appendRetryIntegrityTag,
  buildRetryWithoutTag,
  buildVersionNegotiation,
  isReservedVersion,
  longHeaderLength,
  newHeaderOffsets,
  parseInvariantHeader,
  parsePacketHeader,
  parseRetry,
  parseVersionNegotiation,
  patchLongHeaderLength,
  peekDestinationConnectionId,
  retryPseudoPacket,
  shortHeaderLength,
  splitCoalescedPackets,
  writeLongHeader,
  writeShortHeader,
} from '../../../src/quic/wire/header.js';
import { concat, expectQuicError, hex, toHex } from './helpers.js';

const PV = TransportErrorCode.PROTOCOL_VIOLATION;
const INTERNAL = TransportErrorCode.INTERNAL_ERROR;

// RFC 9001 Appendix A.2: the client Initial's unprotected header (packet number 2, Length 1182).
const CLIENT_INITIAL_HEADER = 'c300000001088394c8f03e5157080000449e00000002';
// RFC 9001 Appendix A.3: the server Initial's unprotected header (packet number 1, Length 117).
const SERVER_INITIAL_HEADER = 'c1000000010008f067a5502a4262b50040750001';
// RFC 9001 Appendix A.4: the Retry answering the A.2 Initial.
const RFC_RETRY = 'ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba';
const RFC_ODCID = '8394c8f03e515708';

function longPacket(headerHex: string): Uint8Array {
  const header = hex(headerHex);
  const h = parsePacketHeader(concat(header, new Uint8Array(4096)), 0, 0) as LongHeader;
  return concat(header, new Uint8Array(h.length - (header.length - h.pnOffset)));
}

function asLong(h: PacketHeader): LongHeader {
  if (h.form !== 'long' || (h.type !== 'initial' && h.type !== 'handshake' && h.type !== '0RTT')) {
    throw new Error(`not a long protected header: ${h.type}`);
  }
  return h;
}

describe('long headers (RFC 9000 §17.2)', () => {
  it('parses the RFC 9001 A.2 client Initial header', () => {
    const packet = longPacket(CLIENT_INITIAL_HEADER);
    expect(packet.length).toBe(18 + 1182);
    const h = asLong(parsePacketHeader(packet, 0, 8));
    expect(h.type).toBe('initial');
    expect(h.version).toBe(QUIC_VERSION_1);
    expect(toHex(h.dcid)).toBe(RFC_ODCID);
    expect(h.scid.length).toBe(0);
    expect(h.token.length).toBe(0);
    expect(h.length).toBe(1182);
    expect(h.pnOffset).toBe(18);
    expect(h.packetStart).toBe(0);
    expect(h.payloadEnd).toBe(packet.length);
    expect(h.firstByte).toBe(0xc3);
  });

  it('parses the RFC 9001 A.3 server Initial header', () => {
    const packet = longPacket(SERVER_INITIAL_HEADER);
    const h = asLong(parsePacketHeader(packet, 0, 8));
    expect(h.type).toBe('initial');
    expect(h.dcid.length).toBe(0);
    expect(toHex(h.scid)).toBe('f067a5502a4262b5');
    expect(h.length).toBe(117);
    expect(h.pnOffset).toBe(18);
  });

  it('writes the RFC 9001 A.2 client Initial header byte for byte', () => {
    const buf = new Uint8Array(1200);
    const w = new Writer(buf);
    const fields = {
      type: 'initial' as const, version: QUIC_VERSION_1, dcid: hex(RFC_ODCID), scid: new Uint8Array(0),
      packetNumber: 2, pnLength: 4 as const,
    };
    const o = writeLongHeader(w, fields);
    expect(o).toEqual({ packetStart: 0, lengthOffset: 16, pnOffset: 18, pnLength: 4 });
    expect(w.position).toBe(longHeaderLength(fields));
    patchLongHeaderLength(w, o, 18 + 1182);
    expect(toHex(buf.subarray(0, w.position))).toBe(CLIENT_INITIAL_HEADER);
  });

  it('round-trips every long type with tokens and 20-byte connection IDs', () => {
    const dcid = hex('0102030405060708090a0b0c0d0e0f1011121314');
    const scid = hex('ffeeddccbbaa99887766554433221100ffeeddcc');
    for (const type of ['initial', '0RTT', 'handshake'] as const) {
      const token = type === 'initial' ? hex('aabbccdd') : undefined;
      const buf = new Uint8Array(200);
      const w = new Writer(buf, 3);
      const o = writeLongHeader(w, { type, version: QUIC_VERSION_1, dcid, scid, token, packetNumber: 0x1234, pnLength: 2 }, newHeaderOffsets());
      w.zeros(20);
      patchLongHeaderLength(w, o, w.position + 16);
      const datagram = buf.subarray(0, w.position + 16);
      const h = asLong(parsePacketHeader(datagram, 3, 8));
      expect(h.type).toBe(type);
      expect(toHex(h.dcid)).toBe(toHex(dcid));
      expect(toHex(h.scid)).toBe(toHex(scid));
      expect(toHex(h.token)).toBe(type === 'initial' ? 'aabbccdd' : '');
      expect(h.pnOffset).toBe(o.pnOffset);
      expect(h.length).toBe(2 + 20 + 16);
      expect(h.payloadEnd).toBe(datagram.length);
      expect(h.firstByte & 0x03).toBe(1);
      expect(h.firstByte & 0x0c).toBe(0);
      expect(toHex(datagram.subarray(h.pnOffset, h.pnOffset + 2))).toBe('1234');
    }
  });

  it('refuses to write invalid long headers', () => {
    const w = new Writer(new Uint8Array(100));
    const base = { version: QUIC_VERSION_1, dcid: new Uint8Array(8), scid: new Uint8Array(8), packetNumber: 0, pnLength: 1 as const };
    expectQuicError(() => writeLongHeader(w, { ...base, type: 'handshake', token: hex('01') }), INTERNAL);
    expectQuicError(() => writeLongHeader(w, { ...base, type: 'initial', dcid: new Uint8Array(21) }), INTERNAL);
    expectQuicError(() => writeLongHeader(w, { ...base, type: 'initial', pnLength: 5 as 4 }), INTERNAL);
    const o = writeLongHeader(new Writer(new Uint8Array(100)), { ...base, type: 'handshake' });
    expectQuicError(() => patchLongHeaderLength(w, o, o.pnOffset + 16384), INTERNAL);
  });

  it('rejects connection IDs over 20 bytes in v1', () => {
    const packet = hex('c0 00000001 15' + '00'.repeat(21) + '00 00 01 00');
    expectQuicError(() => parsePacketHeader(packet, 0, 0), PV);
    const scid = hex('c0 00000001 00 15' + '00'.repeat(21) + '00 01 00');
    expectQuicError(() => parsePacketHeader(scid, 0, 0), PV);
  });

  it('rejects a Fixed Bit of 0 unless grease_quic_bit was negotiated', () => {
    const packet = longPacket(CLIENT_INITIAL_HEADER);
    packet[0] = 0x83;
    expectQuicError(() => parsePacketHeader(packet, 0, 8), PV);
    expect(parsePacketHeader(packet, 0, 8, { allowFixedBitZero: true }).type).toBe('initial');
  });

  it('rejects a Length past the datagram and a Length of 0', () => {
    const packet = longPacket(CLIENT_INITIAL_HEADER);
    expectQuicError(() => parsePacketHeader(packet.subarray(0, packet.length - 1), 0, 8), PV);
    expectQuicError(() => parsePacketHeader(hex('e0 00000001 00 00 00'), 0, 0), PV);
    expectQuicError(() => parsePacketHeader(hex('c0 00000001 00 00 05 01'), 0, 0), PV);
  });

  it('throws PROTOCOL_VIOLATION at every truncation of the header', () => {
    const full = hex('c0 00000001 04 01020304 02 0506 03 aabbcc 05 0000000000');
    expect(parsePacketHeader(full, 0, 0).type).toBe('initial');
    for (let n = 0; n < full.length; n++) {
      expectQuicError(() => parsePacketHeader(full.subarray(0, n), 0, 0), PV);
    }
  });
});

describe('short headers (RFC 9000 §17.3)', () => {
  it('writes the RFC 9001 A.5 header', () => {
    const buf = new Uint8Array(8);
    const w = new Writer(buf);
    const fields = { dcid: new Uint8Array(0), packetNumber: 654360564, pnLength: 3 as const };
    const o = writeShortHeader(w, fields);
    expect(toHex(buf.subarray(0, w.position))).toBe('4200bff4');
    expect(o).toEqual({ packetStart: 0, lengthOffset: -1, pnOffset: 1, pnLength: 3 });
    expect(shortHeaderLength(fields)).toBe(4);
  });

  it('parses the DCID by the length the receiver uses and runs to the end', () => {
    const buf = new Uint8Array(64);
    const w = new Writer(buf);
    const dcid = hex('0102030405060708');
    writeShortHeader(w, { dcid, packetNumber: 9, pnLength: 1, spinBit: true, keyPhase: true });
    const h = parsePacketHeader(buf, 0, 8);
    if (h.form !== 'short') throw new Error('expected a short header');
    expect(h.type).toBe('1RTT');
    expect(toHex(h.dcid)).toBe('0102030405060708');
    expect(h.pnOffset).toBe(9);
    expect(h.payloadEnd).toBe(64);
    expect(h.firstByte).toBe(0x40 | 0x20 | 0x04);
  });

  it('rejects a Fixed Bit of 0, a missing packet number and DCID lengths we never issue', () => {
    expectQuicError(() => parsePacketHeader(hex('00 0102 03'), 0, 2), PV);
    expectQuicError(() => parsePacketHeader(hex('40 0102'), 0, 2), PV);
    expectQuicError(() => parsePacketHeader(hex('40'), 0, 0), PV);
    expectQuicError(() => parsePacketHeader(hex('40 01'), 0, 21), INTERNAL);
    expectQuicError(() => parsePacketHeader(new Uint8Array(0), 0, 0), PV);
  });
});

describe('coalesced packets (RFC 9000 §12.2)', () => {
  function build(): { datagram: Uint8Array; ends: number[] } {
    const buf = new Uint8Array(1500);
    const w = new Writer(buf);
    const dcid = hex('c0ffee0000000001');
    const scid = hex('5ca1ab1e');
    const ends: number[] = [];
    const o = newHeaderOffsets();
    writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid, scid, token: hex('7070'), packetNumber: 0, pnLength: 1 }, o);
    w.zeros(40);
    patchLongHeaderLength(w, o, w.position + 16);
    w.zeros(16);
    ends.push(w.position);
    writeLongHeader(w, { type: 'handshake', version: QUIC_VERSION_1, dcid, scid, packetNumber: 1, pnLength: 2 }, o);
    w.zeros(100);
    patchLongHeaderLength(w, o, w.position + 16);
    w.zeros(16);
    ends.push(w.position);
    writeShortHeader(w, { dcid, packetNumber: 2, pnLength: 4 }, o);
    w.zeros(30);
    ends.push(w.position);
    return { datagram: buf.subarray(0, w.position), ends };
  }

  it('splits Initial + Handshake + 1-RTT', () => {
    const { datagram, ends } = build();
    const { packets, error } = splitCoalescedPackets(datagram, 8);
    expect(error).toBeUndefined();
    expect(packets.map((p) => p.type)).toEqual(['initial', 'handshake', '1RTT']);
    expect(packets.map((p) => p.payloadEnd)).toEqual(ends);
    expect(packets.map((p) => p.packetStart)).toEqual([0, ends[0], ends[1]]);
    const initial = asLong(packets[0]!);
    expect(toHex(initial.token)).toBe('7070');
    for (const p of packets) expect(toHex(p.dcid)).toBe('c0ffee0000000001');
  });

  it('keeps the packets before a malformed one and reports why it stopped', () => {
    const { datagram, ends } = build();
    const broken = Uint8Array.from(datagram);
    broken[ends[0]!] = 0x00; // the Handshake packet now looks like a short header with Fixed Bit 0
    const { packets, error } = splitCoalescedPackets(broken, 8);
    expect(packets.map((p) => p.type)).toEqual(['initial']);
    expect(error?.code).toBe(PV);
  });

  it('stops at trailing zero padding after the last long header packet', () => {
    const { datagram, ends } = build();
    const padded = concat(datagram.subarray(0, ends[1]), new Uint8Array(50));
    const { packets, error } = splitCoalescedPackets(padded, 8);
    expect(packets.length).toBe(2);
    expect(error?.code).toBe(PV);
  });
});

describe('Version Negotiation (RFC 9000 §17.2.1)', () => {
  it('builds and parses, with 255-byte connection IDs', () => {
    const dcid = new Uint8Array(255).fill(1);
    const scid = hex('0203');
    const packet = buildVersionNegotiation({ dcid, scid, supportedVersions: [QUIC_VERSION_1, 0x1a2a3a4a] });
    expect(packet[0]).toBe(0xc0);
    expect(toHex(packet.subarray(1, 5))).toBe('00000000');
    const vn = parseVersionNegotiation(packet);
    expect(vn.dcid.length).toBe(255);
    expect(toHex(vn.scid)).toBe('0203');
    expect(vn.supportedVersions).toEqual([1, 0x1a2a3a4a]);
    const h = parsePacketHeader(packet, 0, 0);
    expect(h.type).toBe('version_negotiation');
    if (h.type !== 'version_negotiation') return;
    expect(h.version).toBe(0);
    expect(h.supportedVersions).toEqual([1, 0x1a2a3a4a]);
    expect(h.payloadEnd).toBe(packet.length);
  });

  it('answers a client by swapping its connection IDs', () => {
    const clientInitial = hex('c0 1a2a3a4a 04 aaaaaaaa 02 bbbb 00 01 00');
    const inv = parseInvariantHeader(clientInitial, 0, 0);
    if (inv.form !== 'long') throw new Error('expected a long header');
    expect(isReservedVersion(inv.version)).toBe(true);
    const vn = parseVersionNegotiation(buildVersionNegotiation({ dcid: inv.scid, scid: inv.dcid, supportedVersions: [1], unusedBits: 0x15 }));
    expect(toHex(vn.dcid)).toBe('bbbb');
    expect(toHex(vn.scid)).toBe('aaaaaaaa');
    expect(vn.firstByte).toBe(0x95);
  });

  it('rejects malformed lists and non-VN packets', () => {
    const good = buildVersionNegotiation({ dcid: hex('01'), scid: hex('02'), supportedVersions: [1] });
    expectQuicError(() => parseVersionNegotiation(good.subarray(0, good.length - 1)), PV);
    expectQuicError(() => parseVersionNegotiation(longPacket(CLIENT_INITIAL_HEADER)), PV);
    expectQuicError(() => parseVersionNegotiation(hex('40 00000000 00 00')), PV);
    for (let n = 0; n < 9; n++) expectQuicError(() => parseVersionNegotiation(good.subarray(0, n)), PV);
    expect(parseVersionNegotiation(good.subarray(0, 9)).supportedVersions).toEqual([]);
    expectQuicError(() => buildVersionNegotiation({ dcid: hex('01'), scid: hex('02'), supportedVersions: [0] }), INTERNAL);
  });
});

describe('Retry (RFC 9000 §17.2.5)', () => {
  it('parses the RFC 9001 A.4 Retry', () => {
    const packet = hex(RFC_RETRY);
    const r = parseRetry(packet);
    expect(r.version).toBe(QUIC_VERSION_1);
    expect(r.dcid.length).toBe(0);
    expect(toHex(r.scid)).toBe('f067a5502a4262b5');
    expect(new TextDecoder().decode(r.token)).toBe('token');
    expect(toHex(r.integrityTag)).toBe('04a265ba2eff4d829058fb3f0f2496ba');
    expect(toHex(r.packetWithoutTag)).toBe('ff000000010008f067a5502a4262b5746f6b656e');
    const h = parsePacketHeader(packet, 0, 8);
    expect(h.type).toBe('retry');
    if (h.type === 'retry') expect(toHex(h.token)).toBe('746f6b656e');
  });

  it('builds the RFC 9001 A.4 Retry and its pseudo-packet', () => {
    const withoutTag = buildRetryWithoutTag({
      version: QUIC_VERSION_1, dcid: new Uint8Array(0), scid: hex('f067a5502a4262b5'),
      token: new TextEncoder().encode('token'), unusedBits: 0xf,
    });
    expect(toHex(withoutTag)).toBe('ff000000010008f067a5502a4262b5746f6b656e');
    expect(toHex(retryPseudoPacket(hex(RFC_ODCID), withoutTag)))
      .toBe('08' + RFC_ODCID + 'ff000000010008f067a5502a4262b5746f6b656e');
    expect(toHex(appendRetryIntegrityTag(withoutTag, hex('04a265ba2eff4d829058fb3f0f2496ba')))).toBe(RFC_RETRY);
  });

  it('rejects what a client must discard', () => {
    const packet = hex(RFC_RETRY);
    expectQuicError(() => parseRetry(packet.subarray(0, 15 + 16)), PV); // empty token
    expectQuicError(() => parseRetry(packet.subarray(0, 20)), PV); // no room for the tag
    const noFixed = Uint8Array.from(packet);
    noFixed[0] = 0xbf;
    expectQuicError(() => parseRetry(noFixed), PV);
    const otherType = Uint8Array.from(packet);
    otherType[0] = 0xef;
    expectQuicError(() => parseRetry(otherType), PV);
    const otherVersion = Uint8Array.from(packet);
    otherVersion[4] = 2;
    expectQuicError(() => parseRetry(otherVersion), PV);
    for (let n = 0; n < packet.length - 16; n++) expectQuicError(() => parseRetry(packet.subarray(0, n)), PV);
    expectQuicError(() => buildRetryWithoutTag({ version: 1, dcid: hex('01'), scid: hex('02'), token: new Uint8Array(0) }), INTERNAL);
  });
});

describe('invariants (RFC 8999)', () => {
  it('reads form, version and connection IDs of any version', () => {
    const packet = hex('ff 12345678 ff' + 'ab'.repeat(255) + '01 cd 99 99 99');
    const h = parseInvariantHeader(packet, 0, 0);
    if (h.form !== 'long') throw new Error('expected a long header');
    expect(h.version).toBe(0x12345678);
    expect(h.dcid.length).toBe(255);
    expect(toHex(h.scid)).toBe('cd');
    expect(h.headerEnd).toBe(1 + 4 + 1 + 255 + 1 + 1);
    expect(peekDestinationConnectionId(packet, 0, 0).length).toBe(255);
    const ph = parsePacketHeader(packet, 0, 0);
    expect(ph.type).toBe('unsupported_version');
    expect(ph.payloadEnd).toBe(packet.length);
  });

  it('reads a short header DCID by the given length', () => {
    const h = parseInvariantHeader(hex('41 0a0b0c 99'), 0, 3);
    expect(h.form).toBe('short');
    expect(toHex(h.dcid)).toBe('0a0b0c');
    expect(toHex(peekDestinationConnectionId(hex('41 0a0b0c 99'), 0, 3))).toBe('0a0b0c');
    expectQuicError(() => parseInvariantHeader(hex('41 0a'), 0, 3), PV);
    expectQuicError(() => peekDestinationConnectionId(hex('41 0a'), 0, 3), PV);
  });

  it('throws PROTOCOL_VIOLATION at every truncation', () => {
    const packet = hex('c0 00000002 03 010203 02 0405');
    expect(parseInvariantHeader(packet, 0, 0).form).toBe('long');
    for (let n = 0; n < packet.length; n++) {
      expectQuicError(() => parseInvariantHeader(packet.subarray(0, n), 0, 0), PV);
      if (n < 9) expectQuicError(() => peekDestinationConnectionId(packet.subarray(0, n), 0, 0), PV);
    }
  });
});

describe('ShortHeaderView', () => {
  const packet = (first: number, dcid: number[], rest = 24): Uint8Array => concat(Uint8Array.of(first), Uint8Array.from(dcid), new Uint8Array(rest));

  it('parses in place exactly as parsePacketHeader does, and re-points', () => {
    const view = new ShortHeaderView();
    for (const [first, dcid, offset] of [[0x41, [1, 2, 3, 4], 0], [0x5f, [9, 9, 9, 9], 0], [0x40, [7, 7, 7, 7], 0]] as const) {
      const datagram = concat(new Uint8Array(offset), packet(first, [...dcid]));
      const parsed = parsePacketHeader(datagram, offset, 4);
      view.parse(datagram, offset, 4);
      expect({ form: view.form, type: view.type, firstByte: view.firstByte, dcid: toHex(view.dcid), pnOffset: view.pnOffset, packetStart: view.packetStart, payloadEnd: view.payloadEnd })
        .toEqual({ ...parsed, dcid: toHex(parsed.dcid as Uint8Array) });
    }
    // A zero-length connection ID, after a coalesced long packet's bytes.
    const d = concat(new Uint8Array(10), packet(0x42, []));
    expect(view.parse(d, 10, 0).dcid.length).toBe(0);
    expect(view.pnOffset).toBe(11);
  });

  it('rejects what parsePacketHeader rejects', () => {
    const view = new ShortHeaderView();
    const fails = (fn: () => unknown, code: number, message: RegExp): void => {
      expect(expectQuicError(fn, code).message).toMatch(message);
    };
    fails(() => view.parse(packet(0x01, [1, 2, 3, 4]), 0, 4), PV, /Fixed Bit/);
    expect(view.parse(packet(0x01, [1, 2, 3, 4]), 0, 4, { allowFixedBitZero: true }).firstByte).toBe(0x01);
    fails(() => view.parse(Uint8Array.of(0x41, 1, 2), 0, 4), PV, /truncated/);
    fails(() => view.parse(new Uint8Array(0), 0, 4), PV, /empty/);
    fails(() => view.parse(packet(0xc1, [1, 2, 3, 4]), 0, 4), INTERNAL, /long header/);
    fails(() => view.parse(packet(0x41, [1, 2, 3, 4]), 0, 21), INTERNAL, /outside 0\.\.20/);
  });
});
