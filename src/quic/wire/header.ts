/**
 * Packet headers of QUIC v1, RFC 9000 §17.
 *
 * Parsing stops at the packet number: its length and the low bits of the first byte are under
 * header protection (RFC 9001 §5.4), which packet protection removes using the offsets returned
 * here. Every failure throws QuicError(PROTOCOL_VIOLATION): the receiver drops the packet (and,
 * for a coalesced datagram, the rest of the datagram; RFC 9000 §12.2), it does not close the
 * connection.
 *
 * Long Header Packet {
 *   Header Form (1) = 1, Fixed Bit (1) = 1, Long Packet Type (2), Type-Specific Bits (4),
 *   Version (32),
 *   Destination Connection ID Length (8), Destination Connection ID (0..160),
 *   Source Connection ID Length (8), Source Connection ID (0..160),
 *   [Initial only: Token Length (i), Token (..)]
 *   Length (i), Packet Number (8..32), Packet Payload (8..),
 * }
 *
 * 1-RTT Packet {
 *   Header Form (1) = 0, Fixed Bit (1) = 1, Spin Bit (1), Reserved Bits (2), Key Phase (1),
 *   Packet Number Length (2), Destination Connection ID (0..160), Packet Number (8..32),
 *   Packet Payload (8..),
 * }
 */

import type { Writer } from './buffer.js';
import { QuicError, internalError, protocolViolation } from './errors.js';
import {
  FIXED_BIT,
  HEADER_FORM_LONG,
  MAX_CID_LENGTH,
  MAX_INVARIANT_CID_LENGTH,
  VERSION_NEGOTIATION_VERSION,
  checkLongHeaderCids,
  isSupportedVersion,
  longHeaderDcid,
  longHeaderScid,
  readU32,
} from './invariants.js';
import { type PacketNumberLength, writePacketNumber } from './packet-number.js';
import { type RetryPacket, RETRY_PACKET_TYPE, finishRetry } from './retry.js';
import { type VersionNegotiationPacket, parseVersionNegotiation } from './version-negotiation.js';
import { readVarintUnchecked, varintLength, varintLengthFromFirstByte } from './varint.js';

export * from './invariants.js';
export * from './retry.js';
export * from './version-negotiation.js';

/** Long Packet Type values of QUIC v1 (RFC 9000 §17.2, Table 5). */
export const LongPacketType = {
  INITIAL: 0x0,
  ZERO_RTT: 0x1,
  HANDSHAKE: 0x2,
  RETRY: RETRY_PACKET_TYPE,
} as const;

/** Packet types, named as in qlog. */
export type PacketType = 'initial' | '0RTT' | 'handshake' | 'retry' | '1RTT' | 'version_negotiation';

/** The packet types that carry a packet number and frames. */
export type ProtectedPacketType = 'initial' | '0RTT' | 'handshake' | '1RTT';

/** The long header types that carry a Length and a packet number. */
export type LongProtectedPacketType = 'initial' | '0RTT' | 'handshake';

/** Offsets are absolute, into the datagram passed to `parsePacketHeader`. */
interface PacketBounds {
  /** Offset of the first byte of this packet. */
  packetStart: number;
  /**
   * One past the last byte of this packet: the end of its protected payload (AEAD tag
   * included), and where the next coalesced packet starts (RFC 9000 §12.2).
   */
  payloadEnd: number;
}

/** Initial, 0-RTT or Handshake packet header. */
export interface LongHeader extends PacketBounds {
  form: 'long';
  type: LongProtectedPacketType;
  /** The first byte as received: its 4 low bits are still under header protection. */
  firstByte: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** The Initial token; empty for 0-RTT and Handshake packets. */
  token: Uint8Array;
  /** The Length field: bytes of packet number plus protected payload (RFC 9000 §17.2). */
  length: number;
  /**
   * Offset of the Packet Number field. Header protection samples 16 bytes at `pnOffset + 4`
   * (RFC 9001 §5.4.2); the packet number itself is 1-4 bytes, known once unmasked.
   */
  pnOffset: number;
}

/** 1-RTT packet header. It has no length: the packet runs to the end of the datagram. */
export interface ShortHeader extends PacketBounds {
  form: 'short';
  type: '1RTT';
  /** The first byte as received: Reserved Bits, Key Phase and Packet Number Length are protected. */
  firstByte: number;
  dcid: Uint8Array;
  /** Offset of the Packet Number field (see `LongHeader.pnOffset`). */
  pnOffset: number;
}

/**
 * A 1-RTT header parsed in place, for the receive path: one instance is re-pointed at each
 * packet (`parse`), and the Destination Connection ID view is made only when someone reads it,
 * so parsing a short header allocates nothing. Valid until the next `parse`; a consumer that
 * keeps the header past its packet must copy what it needs.
 */
export class ShortHeaderView implements ShortHeader {
  readonly form = 'short' as const;
  readonly type = '1RTT' as const;
  firstByte = 0;
  pnOffset = 0;
  packetStart = 0;
  payloadEnd = 0;
  private datagram: Uint8Array = new Uint8Array(0);
  private dcidView: Uint8Array | undefined;

  /** Same checks and fields as parsePacketHeader's short branch; throws the same errors. */
  parse(datagram: Uint8Array, offset: number, dcidLength: number, options?: HeaderParseOptions): this {
    const end = datagram.length;
    if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
    const firstByte = datagram[offset]!;
    if ((firstByte & HEADER_FORM_LONG) !== 0) throw internalError('ShortHeaderView.parse on a long header');
    if ((firstByte & FIXED_BIT) === 0 && options?.allowFixedBitZero !== true) throw protocolViolation('Fixed Bit is 0');
    if (dcidLength < 0 || dcidLength > MAX_CID_LENGTH) throw internalError(`short header connection ID length ${dcidLength} outside 0..20`);
    const pnOffset = offset + 1 + dcidLength;
    if (pnOffset >= end) throw protocolViolation('short header truncated before the packet number');
    this.datagram = datagram;
    this.dcidView = undefined;
    this.firstByte = firstByte;
    this.pnOffset = pnOffset;
    this.packetStart = offset;
    this.payloadEnd = end;
    return this;
  }

  get dcid(): Uint8Array {
    return (this.dcidView ??= this.datagram.subarray(this.packetStart + 1, this.pnOffset));
  }
}

export interface RetryHeader extends RetryPacket, PacketBounds {
  form: 'long';
  type: 'retry';
}

export interface VersionNegotiationHeader extends VersionNegotiationPacket, PacketBounds {
  form: 'long';
  type: 'version_negotiation';
  version: typeof VERSION_NEGOTIATION_VERSION;
}

/**
 * A long header of a version we do not support: only the invariant fields are known (RFC 8999
 * §5.1). A server may answer it with Version Negotiation (RFC 9000 §6.1); it runs to the end of
 * the datagram.
 */
export interface UnsupportedVersionHeader extends PacketBounds {
  form: 'long';
  type: 'unsupported_version';
  firstByte: number;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
}

export type PacketHeader =
  | LongHeader
  | ShortHeader
  | RetryHeader
  | VersionNegotiationHeader
  | UnsupportedVersionHeader;

export interface HeaderParseOptions {
  /**
   * Accept a Fixed Bit of 0, for a peer that negotiated grease_quic_bit (RFC 9287). By default a
   * Fixed Bit of 0 is a PROTOCOL_VIOLATION (RFC 9000 §17.2: such packets are discarded).
   */
  allowFixedBitZero?: boolean;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const LONG_TYPE_NAMES: readonly LongProtectedPacketType[] = ['initial', '0RTT', 'handshake'];

/**
 * Parses the header of the packet at `datagram[offset]`. `shortDcidLength` is the length of the
 * connection IDs this endpoint issues (a short header does not carry it). Use `payloadEnd` as
 * the offset of the next coalesced packet.
 */
export function parsePacketHeader(
  datagram: Uint8Array,
  offset: number,
  shortDcidLength: number,
  options?: HeaderParseOptions,
): PacketHeader {
  const end = datagram.length;
  if (offset < 0 || offset >= end) throw protocolViolation('empty packet');
  const firstByte = datagram[offset]!;
  const fixedBitOk = (firstByte & FIXED_BIT) !== 0 || options?.allowFixedBitZero === true;

  if ((firstByte & HEADER_FORM_LONG) === 0) {
    if (!fixedBitOk) throw protocolViolation('Fixed Bit is 0');
    if (shortDcidLength < 0 || shortDcidLength > MAX_CID_LENGTH) {
      throw internalError(`short header connection ID length ${shortDcidLength} outside 0..20`);
    }
    const pnOffset = offset + 1 + shortDcidLength;
    if (pnOffset >= end) throw protocolViolation('short header truncated before the packet number');
    return {
      form: 'short',
      type: '1RTT',
      firstByte,
      dcid: datagram.subarray(offset + 1, pnOffset),
      pnOffset,
      packetStart: offset,
      payloadEnd: end,
    };
  }

  if (offset + 5 > end) throw protocolViolation('long header truncated in the Version');
  const version = readU32(datagram, offset + 1);
  if (version === VERSION_NEGOTIATION_VERSION) {
    const vn = parseVersionNegotiation(datagram, offset);
    return {
      form: 'long',
      type: 'version_negotiation',
      version: VERSION_NEGOTIATION_VERSION,
      firstByte: vn.firstByte,
      dcid: vn.dcid,
      scid: vn.scid,
      supportedVersions: vn.supportedVersions,
      packetStart: offset,
      payloadEnd: end,
    };
  }
  if (!isSupportedVersion(version)) {
    checkLongHeaderCids(datagram, offset, MAX_INVARIANT_CID_LENGTH);
    return {
      form: 'long',
      type: 'unsupported_version',
      firstByte,
      version,
      dcid: longHeaderDcid(datagram, offset),
      scid: longHeaderScid(datagram, offset),
      packetStart: offset,
      payloadEnd: end,
    };
  }

  // RFC 9000 §17.2: a v1 connection ID longer than 20 bytes means the packet is dropped.
  let p = checkLongHeaderCids(datagram, offset, MAX_CID_LENGTH);
  if (!fixedBitOk) throw protocolViolation('Fixed Bit is 0');
  const typeBits = (firstByte >> 4) & 0x3;
  if (typeBits === LongPacketType.RETRY) {
    const retry = finishRetry(datagram, offset, p, firstByte, version);
    return {
      form: 'long',
      type: 'retry',
      firstByte,
      version,
      dcid: retry.dcid,
      scid: retry.scid,
      token: retry.token,
      integrityTag: retry.integrityTag,
      packetWithoutTag: retry.packetWithoutTag,
      packetStart: offset,
      payloadEnd: end,
    };
  }

  let token = EMPTY;
  if (typeBits === LongPacketType.INITIAL) {
    // RFC 9000 §17.2.2: Token Length (i), Token (..).
    if (p >= end) throw protocolViolation('Initial truncated before the Token Length');
    const n = varintLengthFromFirstByte(datagram[p]!);
    if (p + n > end) throw protocolViolation('Initial truncated in the Token Length');
    const tokenLength = readVarintUnchecked(datagram, p, n, true);
    p += n;
    if (tokenLength > end - p) throw protocolViolation('Initial Token runs past the datagram');
    token = datagram.subarray(p, p + tokenLength);
    p += tokenLength;
  }

  if (p >= end) throw protocolViolation('long header truncated before the Length');
  const n = varintLengthFromFirstByte(datagram[p]!);
  if (p + n > end) throw protocolViolation('long header truncated in the Length');
  const length = readVarintUnchecked(datagram, p, n, true);
  p += n;
  if (length > end - p) throw protocolViolation(`Length ${length} runs past the datagram (${end - p} bytes left)`);
  if (length === 0) throw protocolViolation('Length 0 leaves no room for a packet number');
  return {
    form: 'long',
    type: LONG_TYPE_NAMES[typeBits]!,
    firstByte,
    version,
    dcid: longHeaderDcid(datagram, offset),
    scid: longHeaderScid(datagram, offset),
    token,
    length,
    pnOffset: p,
    packetStart: offset,
    payloadEnd: p + length,
  };
}

/**
 * Splits a datagram into its coalesced packets (RFC 9000 §12.2): long-header packets, then at
 * most one short-header packet, which runs to the end. Parsing stops at the first malformed
 * packet; the packets before it are still valid and `error` tells why the rest was dropped.
 * Receivers SHOULD ignore packets whose Destination Connection ID differs from the first one's;
 * that check is the caller's.
 */
export function splitCoalescedPackets(
  datagram: Uint8Array,
  shortDcidLength: number,
  options?: HeaderParseOptions,
): { packets: PacketHeader[]; error: QuicError | undefined } {
  const packets: PacketHeader[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    let header: PacketHeader;
    try {
      header = parsePacketHeader(datagram, offset, shortDcidLength, options);
    } catch (e) {
      if (e instanceof QuicError) return { packets, error: e };
      throw e;
    }
    packets.push(header);
    offset = header.payloadEnd;
  }
  return { packets, error: undefined };
}

// ---------------------------------------------------------------------------------------------
// Writing

/** What a header writer returns: where packet protection and the Length patch apply. */
export interface HeaderOffsets {
  /** Offset of the first byte (header protection masks its low 4 or 5 bits). */
  packetStart: number;
  /** Offset of the 2-byte Length placeholder of a long header; -1 for a short header. */
  lengthOffset: number;
  /** Offset of the Packet Number field; the payload starts at `pnOffset + pnLength`. */
  pnOffset: number;
  pnLength: PacketNumberLength;
}

/** A reusable `HeaderOffsets`, so that the send path allocates nothing per packet. */
export function newHeaderOffsets(): HeaderOffsets {
  return { packetStart: 0, lengthOffset: -1, pnOffset: 0, pnLength: 1 };
}

export interface LongHeaderFields {
  type: LongProtectedPacketType;
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial only (RFC 9000 §17.2.2); omit or leave empty for no token. */
  token?: Uint8Array;
  /** The full packet number; written truncated to `pnLength` bytes. */
  packetNumber: number;
  pnLength: PacketNumberLength;
}

export interface ShortHeaderFields {
  dcid: Uint8Array;
  packetNumber: number;
  pnLength: PacketNumberLength;
  /** Latency Spin Bit (RFC 9000 §17.4). */
  spinBit?: boolean;
  /** Key Phase bit (RFC 9001 §6). */
  keyPhase?: boolean;
}

/**
 * Writes a long header with a 2-byte Length placeholder (RFC 9000 §16 allows a non-minimal
 * encoding), then the truncated packet number. After writing the payload, call
 * `patchLongHeaderLength` with the packet end (AEAD tag included). Reserved Bits are 0
 * (RFC 9000 §17.2). Fills and returns `out` (allocated when omitted).
 */
export function writeLongHeader(w: Writer, h: LongHeaderFields, out?: HeaderOffsets): HeaderOffsets {
  const o = out ?? newHeaderOffsets();
  const typeBits = longTypeBits(h.type);
  checkWriteCid(h.dcid, h.version);
  checkWriteCid(h.scid, h.version);
  const token = h.token;
  if (token !== undefined && token.length > 0 && h.type !== 'initial') {
    throw internalError(`a ${h.type} packet has no Token field`);
  }
  checkPnLength(h.pnLength);
  o.packetStart = w.position;
  w.u8(HEADER_FORM_LONG | FIXED_BIT | (typeBits << 4) | (h.pnLength - 1));
  w.u32(h.version);
  w.u8(h.dcid.length);
  w.bytes(h.dcid);
  w.u8(h.scid.length);
  w.bytes(h.scid);
  if (h.type === 'initial') {
    const t = token ?? EMPTY;
    w.varint(t.length);
    w.bytes(t);
  }
  o.lengthOffset = w.position;
  w.varint(0, 2);
  o.pnOffset = w.position;
  o.pnLength = h.pnLength;
  writePacketNumber(w, h.packetNumber, h.pnLength);
  return o;
}

/**
 * Sets the Length field of a long header written by `writeLongHeader`: the bytes from the
 * packet number to `packetEnd` (which includes the AEAD tag). Must be below 2^14.
 */
export function patchLongHeaderLength(w: Writer, offsets: HeaderOffsets, packetEnd: number): void {
  if (offsets.lengthOffset < 0) throw internalError('a short header has no Length field');
  const length = packetEnd - offsets.pnOffset;
  if (length < offsets.pnLength) throw internalError('packet ends before its packet number');
  w.patchVarint2(offsets.lengthOffset, length);
}

/** Writes a 1-RTT header; Reserved Bits are 0 (RFC 9000 §17.3.1). Fills and returns `out`. */
export function writeShortHeader(w: Writer, h: ShortHeaderFields, out?: HeaderOffsets): HeaderOffsets {
  const o = out ?? newHeaderOffsets();
  if (h.dcid.length > MAX_CID_LENGTH) throw internalError(`connection ID longer than ${MAX_CID_LENGTH} bytes`);
  checkPnLength(h.pnLength);
  o.packetStart = w.position;
  w.u8(FIXED_BIT | (h.spinBit === true ? 0x20 : 0) | (h.keyPhase === true ? 0x04 : 0) | (h.pnLength - 1));
  w.bytes(h.dcid);
  o.lengthOffset = -1;
  o.pnOffset = w.position;
  o.pnLength = h.pnLength;
  writePacketNumber(w, h.packetNumber, h.pnLength);
  return o;
}

/** Bytes `writeLongHeader` writes, packet number included. */
export function longHeaderLength(h: LongHeaderFields): number {
  const tokenPart = h.type === 'initial' ? varintLength(h.token?.length ?? 0) + (h.token?.length ?? 0) : 0;
  return 7 + h.dcid.length + h.scid.length + tokenPart + 2 + h.pnLength;
}

/** Bytes `writeShortHeader` writes, packet number included. */
export function shortHeaderLength(h: ShortHeaderFields): number {
  return 1 + h.dcid.length + h.pnLength;
}

function longTypeBits(type: LongProtectedPacketType): number {
  switch (type) {
    case 'initial': return LongPacketType.INITIAL;
    case '0RTT': return LongPacketType.ZERO_RTT;
    case 'handshake': return LongPacketType.HANDSHAKE;
  }
}

function checkWriteCid(cid: Uint8Array, version: number): void {
  const max = isSupportedVersion(version) ? MAX_CID_LENGTH : MAX_INVARIANT_CID_LENGTH;
  if (cid.length > max) throw internalError(`connection ID of ${cid.length} bytes exceeds ${max}`);
}

function checkPnLength(n: number): void {
  if (n !== 1 && n !== 2 && n !== 3 && n !== 4) throw internalError(`packet number length ${n} outside 1..4`);
}
